"""Timestamps in the API's RFC 3339 form, and the human durations of `kubectl get`'s AGE column."""
import datetime


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value):
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def human_duration(seconds):
    """Same rounding as Kubernetes' duration.HumanDuration."""
    seconds = int(seconds)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d"
    return f"{years}y"


def age(timestamp):
    if not timestamp:
        return "<unknown>"
    delta = datetime.datetime.now(datetime.timezone.utc) - parse_rfc3339(timestamp)
    return human_duration(delta.total_seconds())
