# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules wait for, as pure predicates over the object last seen.

A `Condition.check(obj)` says (met, field, expected, seen) so a timeout can say exactly what was
missing; `Condition.failed(obj)` recognises a terminal failure of the generation being waited for,
which ends the wait at once with the controller's own explanation. A `Succeeded` or `Ready` left
over from the previous generation never satisfies a wait: observedGeneration must have caught up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class Condition(object):
    def __init__(self, description, check, failed=None):
        self.description = description
        self.check = check
        self.failed = failed or (lambda obj: None)


def _status(obj):
    return (obj or {}).get("status") or {}


def _generation(obj):
    return ((obj or {}).get("metadata") or {}).get("generation")


def _seen(obj, *fields):
    if obj is None:
        return "the object does not exist"
    status = _status(obj)
    parts = ["%s=%r" % (field, status.get(field)) for field in fields]
    return "%s (observedGeneration %s of %s)" % (", ".join(parts), status.get("observedGeneration"),
                                                 _generation(obj))


def instance_ready(generation):
    def check(obj):
        status = _status(obj)
        met = obj is not None and status.get("state") == "Ready" and _observed(obj, generation)
        return met, "status.state", "'Ready' for generation %s" % generation, _seen(obj, "state")

    def failed(obj):
        status = _status(obj)
        if obj is not None and status.get("state") == "Error" and _observed(obj, generation):
            return "the controller reports Error: %s" % (status.get("message") or "no message")
        return None
    return Condition("instance Ready", check, failed)


def _observed(obj, generation):
    observed = _status(obj).get("observedGeneration")
    return observed is not None and generation is not None and observed >= generation


def deleted():
    def check(obj):
        return obj is None, "the object", "deleted", "it still exists" if obj is not None else "deleted"
    return Condition("deleted", check)


def dag_connected(generation):
    """The DAG resource carried out `generation` and its link to the partner is up."""
    def check(obj):
        status = _status(obj)
        replicas = status.get("replicas") or []
        connected = bool(replicas) and all(r.get("connectedState") == "CONNECTED" for r in replicas)
        met = obj is not None and status.get("state") == "Succeeded" and _observed(obj, generation) and connected
        return (met, "status.state and status.replicas[].connectedState",
                "'Succeeded' for generation %s with every replica CONNECTED" % generation,
                _seen(obj, "state", "results") + "; connectedState %s" % (
                    [r.get("connectedState") for r in replicas] or "not reported"))
    return Condition("DAG connected", check)


def dag_settled(generation):
    """The controller finished with `generation` (Succeeded or Failed), whatever the outcome."""
    def check(obj):
        status = _status(obj)
        met = obj is not None and status.get("state") in ("Succeeded", "Failed") and _observed(obj, generation)
        return met, "status.state", "'Succeeded' or 'Failed' for generation %s" % generation, _seen(obj, "state")
    return Condition("DAG settled", check)


def dag_role(role, generation, require_connected=False):
    """status.role reached `role` ('Primary'/'Secondary') for `generation`; a Failed state for that
    generation with another role ends the wait (e.g. a planned failover the controller abandoned)."""
    def check(obj):
        status = _status(obj)
        met = (obj is not None and status.get("role") == role and status.get("state") == "Succeeded"
               and _observed(obj, generation))
        if met and require_connected:
            met = all(r.get("connectedState") == "CONNECTED" for r in status.get("replicas") or [{}])
        return met, "status.role", "%r (state Succeeded, generation %s)" % (role, generation), \
            _seen(obj, "role", "state", "results")

    def failed(obj):
        status = _status(obj)
        if obj is not None and status.get("state") == "Failed" and status.get("observedGeneration") == generation \
                and status.get("role") != role:
            return "the controller reports Failed: %s" % (status.get("results") or "no results")
        return None
    return Condition("DAG role %s" % role, check, failed)


def instance_certificate():
    """The instance publishes its mirroring certificate and endpoint (it does once Ready)."""
    def check(obj):
        status = _status(obj)
        certificate = (status.get("highAvailability") or {}).get("mirroringCertificate")
        mirroring = (status.get("endpoints") or {}).get("mirroring")
        return (obj is not None and bool(certificate) and bool(mirroring),
                "status.highAvailability.mirroringCertificate and status.endpoints.mirroring", "published",
                _seen(obj, "state") + ("" if certificate else "; no certificate yet"))

    def failed(obj):
        status = _status(obj)
        if obj is not None and status.get("state") == "Error":
            return "the controller reports Error: %s" % (status.get("message") or "no message")
        return None
    return Condition("mirroring certificate published", check, failed)
