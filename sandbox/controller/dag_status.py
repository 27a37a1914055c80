"""What a FailoverGroup/Dag status says, shaped by the site's behaviour profile (behaviour.py).

The reconciler works out the facts (the state, the cause in words, the role, the link's health); this
module decides which status fields carry them. Real controllers differ here: some write observedGeneration,
replicas and healthState, some do not; some put the cause in `results`, others an opaque text there and the
cause in `message`.
"""
TERMINAL = ("Succeeded", "Failed")
# fields a profile may leave out: one it never writes is removed if found (a merge patch keeps what it omits)
OPTIONAL = {"observedGeneration": "dag_observed_generation", "healthState": "dag_link_detail",
            "replicas": "dag_link_detail", "message": "dag_message"}


def opaque_results(state, instance):
    """`results` as real controllers write it: which state the state machine ended in, never why."""
    return f"Completed with {state} state for DistributedAgStateMachine on {instance}"


def shape(behaviour, current, facts):
    """The status patch for `facts` (state, cause, instance, generation; role and link (healthState,
    replicas) when known); `current` is the status as last read, for the fields to remove."""
    state, cause = facts["state"], facts["cause"] or ""
    status = {"state": state, "results": _results(behaviour, state, cause, facts["instance"])}
    if facts.get("role") is not None:
        status["role"] = facts["role"]
    if behaviour.dag_link_detail and facts.get("link") is not None:
        status["healthState"], status["replicas"] = facts["link"]
    if behaviour.dag_message:
        status["message"] = cause or None  # no cause: no message (a stale one is removed)
    if behaviour.dag_observed_generation and state in TERMINAL:
        status["observedGeneration"] = facts["generation"]
    for field, switch in OPTIONAL.items():
        if not getattr(behaviour, switch) and field in current:
            status[field] = None
    return status


def _results(behaviour, state, cause, instance):
    if behaviour.dag_results == "detailed":
        return cause
    return opaque_results(state, instance) if state in TERMINAL else ""
