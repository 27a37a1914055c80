# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules wait for, as pure predicates over the object last seen.

A `Condition.check(obj)` says (met, field, expected, seen) so a timeout can say exactly what was
missing; `Condition.failed(obj)` recognises a terminal failure of the generation being waited for,
which ends the wait at once with the controller's own explanation. A `Succeeded` or `Ready` left
over from before a change never satisfies a wait for it: for an instance, status.observedGeneration must have
caught up (Arc documents it for SqlManagedInstance); for a DAG side, whose status on real controllers carries no
observedGeneration, the controller must have written its status since the change (dag_status.handled_since).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import dag_status


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
        met = obj is not None and _word(status.get("state")) == "ready" and _observed(obj, generation)
        return met, "status.state", "'Ready' for generation %s" % generation, _seen(obj, "state")

    def failed(obj):
        status = _status(obj)
        if obj is not None and _word(status.get("state")) == "error" and _observed(obj, generation):
            return "the controller reports Error: %s" % (status.get("message") or "no message")
        return None
    return Condition("instance Ready", check, failed)


def _word(value):
    """A status word compared as `az` compares it: without regard to case."""
    return str(value).lower() if value else None


def _observed(obj, generation):
    observed = _status(obj).get("observedGeneration")
    return observed is not None and generation is not None and observed >= generation


def deleted():
    def check(obj):
        return obj is None, "the object", "deleted", "it still exists" if obj is not None else "deleted"
    return Condition("deleted", check)


def dag_applied(written):
    """The controller handled the write that returned `written` (dag_status.handled_since): it reports Succeeded,
    or Failed with the link reported down (a side cannot connect before its partner's side exists, and some
    controllers say Failed until it does; the caller warns with the controller's words). Any other Failed state for
    it ends the wait with the controller's words, unless it is the transient Failed of a connected pair
    (dag_status.transient_failure). `az ... dag create` likewise returns once the configuration is applied."""
    handled = dag_status.handled_since(written)

    def check(obj):
        met = handled(obj) and (dag_status.state(obj) == "succeeded" or link_down_failure(obj))
        return met, "status.state", "'Succeeded' written by the controller after this change", dag_status.seen(obj)

    def failed(obj):
        if handled(obj) and dag_status.state(obj) == "failed" and not link_down_failure(obj) \
                and not dag_status.transient_failure(obj):
            return "the controller reports Failed: %s" % (dag_status.cause(obj) or "no message")
        return None
    return Condition("DAG change applied", check, failed)


def link_down_failure(obj):
    """A Failed state whose replicas say the link is down: the change was applied, the partner is not connected."""
    return dag_status.state(obj) == "failed" and dag_status.link(obj) is False


def dag_connected(written):
    """dag_applied, and the link up where the controller reports it (every replica CONNECTED). Where it reports no
    replicas the link's state is unknown: the wait ends once the change is applied, and the caller says the link
    is unknown. A Failed state does not end this wait: a side reports it until its partner's side exists."""
    handled = dag_status.handled_since(written)

    def check(obj):
        met = handled(obj) and dag_status.state(obj) == "succeeded" and dag_status.link(obj) is not False
        return (met, "status.state and status.replicas[].connectedState",
                "'Succeeded' after this change with every replica CONNECTED (where replicas are reported)",
                dag_status.seen(obj))
    return Condition("DAG connected", check)


def dag_settled(written):
    """The controller finished with the write that returned `written`, Succeeded or Failed, whatever the outcome."""
    handled = dag_status.handled_since(written)

    def check(obj):
        met = handled(obj) and dag_status.state(obj) in ("succeeded", "failed") and \
            not dag_status.transient_failure(obj)
        return met, "status.state", "'Succeeded' or 'Failed' written by the controller after this change", \
            dag_status.seen(obj)
    return Condition("DAG settled", check)


def dag_role(role, written):
    """status.role reached `role` ('Primary'/'Secondary', any case) in a Succeeded status written after the write
    that returned `written`; a Failed state written after it with another role ends the wait (e.g. a planned
    failover the controller abandoned), the transient Failed of a connected pair apart."""
    handled = dag_status.handled_since(written)

    def check(obj):
        met = handled(obj) and dag_status.role(obj) == role and dag_status.state(obj) == "succeeded"
        return met, "status.role", "%r (state Succeeded, after this change)" % role, dag_status.seen(obj)

    def failed(obj):
        if handled(obj) and dag_status.state(obj) == "failed" and dag_status.role(obj) != role \
                and not dag_status.transient_failure(obj):
            return "the controller reports Failed: %s" % (dag_status.cause(obj) or "no message")
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
        if obj is not None and _word(status.get("state")) == "error":
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


def dag_linked_for_its_generation():
    """A DAG side that carried out its current generation (observedGeneration where the resource reports one),
    Succeeded, with every replica CONNECTED where replicas are reported (see linked_for_its_generation for the link
    that is not reported). A Failed state does not end the wait: a new side reports Failed until its partner's side
    exists, then connects."""
    def check(obj):
        met = linked_for_its_generation(obj) is not False
        return (met, "status.state and status.replicas[].connectedState",
                "'Succeeded' for its generation with every replica CONNECTED (where replicas are reported)",
                dag_status.seen(obj))
    return Condition("DAG side linked", check)


def linked_for_its_generation(obj):
    """arc_dag_info's `linked`: True when the side is Succeeded for its current generation and every replica is
    CONNECTED; None when it is Succeeded for it but the controller reports no replicas (the link's state is
    unknown, never assumed up); False otherwise."""
    if not (dag_status.state(obj) == "succeeded" and caught_up(obj, required=False)):
        return False
    return dag_status.link(obj)


def dag_synchronized_for_its_generation():
    """dag_linked_for_its_generation, and every replica that reports a synchronizationState HEALTHY: a site rejoined
    after a forced failover discards its divergent log and catches up before it is. Where no replica reports it, the
    link decides."""
    def check(obj):
        met = linked_for_its_generation(obj) is not False and dag_status.synchronized(obj) is not False
        return (met, "status.replicas[].connectedState and synchronizationState",
                "'Succeeded' for its generation with every replica CONNECTED and HEALTHY (where reported)",
                dag_status.seen(obj) + "; synchronizationState %s" % (
                    [r.get("synchronizationState") for r in dag_status.status(obj).get("replicas") or []]
                    or "not reported"))
    return Condition("DAG side synchronized", check)


def dag_role_for_its_generation(role):
    """status.role is `role` ('Primary' or 'Secondary', any case) and the side is Succeeded for its current
    generation (observedGeneration where reported). The side a reader watches is usually changed by its partner's
    controller (a promotion after the partner's switch), so no state of it ends the wait early: only the role, or
    the time."""
    def check(obj):
        met = obj is not None and dag_status.role(obj) == role and dag_status.state(obj) == "succeeded" and \
            caught_up(obj, required=False)
        return met, "status.role", "%r (state Succeeded for its generation)" % role, dag_status.seen(obj)
    return Condition("DAG role %s" % role, check)


# The named conditions the _info modules' wait_condition option offers (documented in each module).
INSTANCE_WAIT_CONDITIONS = {
    "ready": instance_ready_for_its_generation,
    "absent": deleted,
}
DAG_WAIT_CONDITIONS = {
    "connected": dag_linked_for_its_generation,
    "synchronized": dag_synchronized_for_its_generation,
    "primary": lambda: dag_role_for_its_generation("Primary"),
    "secondary": lambda: dag_role_for_its_generation("Secondary"),
    "absent": deleted,
}
