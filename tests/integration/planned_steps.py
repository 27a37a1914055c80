"""The steps of a planned transition (failover_planned, failback) where the fault matrix strikes, as functions of
the site giving up the primary role (`old`) and the one taking it (`new`). See fault_matrix.py."""
from .fault_kinds import DIRECT, INDIRECT
from .fault_matrix import BRIDGE_AGENT, Strike, Step


# The switch: once the DR lock is taken on the primary, its role change held back meanwhile (in direct mode the
# projection of Resource Manager's write into the site). A link cut before the switch makes the controller abandon
# it and leaves spec.role 'secondary' on the primary; the re-run withdraws that request and asks again.
def before_switch(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def before_switch_direct(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "update", "failovergroups"),
                  hold_agent=BRIDGE_AGENT)


# The record: once the old primary's own record is written, the new primary's held back. In indirect mode the
# collection's first patch of the old primary's DAG resource is the switch, its second the record.
def at_record(old, new):
    return Strike(old, ("patch",), "failovergroups", nth=2, hold=(new, "patch", "failovergroups"))


def at_record_direct(old, new):
    return Strike(old, ("patch",), "failovergroups", hold=(new, "patch", "failovergroups"))


STEPS = (
    Step("switch", where={INDIRECT: before_switch, DIRECT: before_switch_direct}, sites=("from", "to")),
    Step("record", where={INDIRECT: at_record, DIRECT: at_record_direct}, sites=("to",)),
)
