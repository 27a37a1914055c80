"""Kubernetes API version ordering (GA before beta before alpha, higher numbers first)."""
import re

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {None: 3, "beta": 2, "alpha": 1}


def priority_key(version):
    """Sort key: the most preferred version sorts first, as kube-apiserver orders group versions."""
    match = _VERSION.match(version)
    if not match:
        return (1, 0, 0, 0, version)
    major, stability, minor = match.groups()
    return (0, -_STABILITY[stability], -int(major), -int(minor or 0), version)


def by_priority(versions):
    return sorted(versions, key=priority_key)
