"""Timestamps the controller writes into status (lastUpdateTime), with microseconds as Arc does."""
import datetime


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
