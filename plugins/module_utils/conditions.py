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


def dag_role(role, generation):
    """status.role reached `role` ('Primary'/'Secondary') for `generation`; a Failed state for that
    generation with another role ends the wait (e.g. a planned failover the controller abandoned)."""
    def check(obj):
        status = _status(obj)
        met = (obj is not None and status.get("role") == role and status.get("state") == "Succeeded"
               and _observed(obj, generation))
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


# -- the object's own generation -------------------------------------------------------------------------------
# A reader (arc_sqlmi_info, arc_dag_info) wrote nothing: there is no generation of its own to wait for, so the
# conditions below judge the object against the generation it carries at each event, with the same rules as the
# writers' conditions above. One rule, one place: `ready_for_its_generation` is what arc_sqlmi_info returns as
# `ready`, and `linked_for_its_generation` what arc_dag_info returns as `linked`.

def caught_up(obj, required=True):
    """The controller has carried out the object's current generation: status.observedGeneration >= generation.
    With required=False an object that does not report observedGeneration counts as caught up: Arc documents it for
    SqlManagedInstance, but no real FailoverGroup or Dag status shows it (reference/emulator-audit.md)."""
    observed = _status(obj).get("observedGeneration")
    if observed is None and not required:
        return obj is not None
    return obj is not None and _observed(obj, _generation(obj))


def replicas_connected(obj):
    """Every entry of status.replicas reports CONNECTED (and there is at least one)."""
    replicas = _status(obj).get("replicas") or []
    return bool(replicas) and all(r.get("connectedState") == "CONNECTED" for r in replicas)


def instance_ready_for_its_generation():
    """instance_ready for whatever generation the object carries when it is seen: Ready once the controller caught
    up with it; Error for that generation ends the wait with the controller's message."""
    def check(obj):
        met, field, expected, seen = instance_ready(_generation(obj)).check(obj)
        return met, field, expected if obj is not None else "'Ready' once it exists", seen

    def failed(obj):
        return instance_ready(_generation(obj)).failed(obj)
    return Condition("instance Ready for its generation", check, failed)


def ready_for_its_generation(obj):
    """Whether an instance is Ready for its current generation (arc_sqlmi_info's `ready`)."""
    return instance_ready_for_its_generation().check(obj)[0]


def _succeeded(obj):
    return str(_status(obj).get("state") or "").lower() == "succeeded"


def dag_linked_for_its_generation():
    """A DAG side that carried out its current generation (observedGeneration where the resource reports one),
    Succeeded, with every replica CONNECTED. A Failed state does not end the wait: a new side reports Failed until
    its partner's side exists, then connects (see dag_connected)."""
    def check(obj):
        status = _status(obj)
        met = obj is not None and _succeeded(obj) and caught_up(obj, required=False) and replicas_connected(obj)
        return (met, "status.state and status.replicas[].connectedState",
                "'Succeeded' for its generation with every replica CONNECTED",
                _seen(obj, "state", "results") + ("; connectedState %s" % (
                    [r.get("connectedState") for r in status.get("replicas") or []] or "not reported")
                    if obj is not None else ""))
    return Condition("DAG side linked", check)


def linked_for_its_generation(obj):
    """Whether a DAG side is Succeeded for its current generation and connected (arc_dag_info's `linked`)."""
    return dag_linked_for_its_generation().check(obj)[0]


def dag_role_for_its_generation(role):
    """status.role is `role` ('Primary' or 'Secondary') and the side is Succeeded for its current generation
    (observedGeneration where reported). The side a reader watches is usually changed by its partner's controller
    (a promotion after the partner's switch), so no state of it ends the wait early: only the role, or the time."""
    def check(obj):
        status = _status(obj)
        met = obj is not None and status.get("role") == role and _succeeded(obj) and caught_up(obj, required=False)
        return met, "status.role", "%r (state Succeeded for its generation)" % role, \
            _seen(obj, "role", "state", "results")
    return Condition("DAG role %s" % role, check)


# The named conditions the _info modules' wait_condition option offers (documented in each module).
INSTANCE_WAIT_CONDITIONS = {
    "ready": instance_ready_for_its_generation,
    "absent": deleted,
}
DAG_WAIT_CONDITIONS = {
    "connected": dag_linked_for_its_generation,
    "primary": lambda: dag_role_for_its_generation("Primary"),
    "secondary": lambda: dag_role_for_its_generation("Secondary"),
    "absent": deleted,
}
