"""Fault matrix, failover_forced on a live pair (the operator confirmed it). A forced failover that completed is not
re-run (it would fail over again); one that left two primaries converges with dr_rejoin, one that failed before
promoting anyone with a second failover_forced; after a kill, the same playbook runs again and must finish the
interrupted failover without a second one. See fault_matrix.py."""
import pytest

from .fault_kinds import DIRECT, INDIRECT
from .fault_matrix import BRIDGE_AGENT, Step, Strike, assert_passed, matrix_cells, matrix_on_own_sandbox, partner, \
    step_named, strike_at

PLAYBOOK = "arcdata.sqlmi.failover_forced"


# Where it strikes, as a function of (old primary, DR site): the fence once the DR lock is taken on the old primary
# (its fence held back meanwhile: in direct mode the projection of Resource Manager's write); the promotion once
# the fence is written, the DR site's controller reporting its new role held back meanwhile (whether it takes the
# primary role by itself after the fence or is promoted).
def before_fence(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def before_fence_direct(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "update", "failovergroups"),
                  hold_agent=BRIDGE_AGENT)


def before_promotion(old, new):
    return Strike(old, ("patch",), "failovergroups", hold=(new, "*", "failovergroups/status"), hold_agent="")


def before_promotion_direct(old, new):
    return Strike(old, ("update",), "failovergroups", agent=BRIDGE_AGENT, hold=(new, "*", "failovergroups/status"),
                  hold_agent="")


STEPS = (
    Step("fence", where={INDIRECT: before_fence, DIRECT: before_fence_direct}, sites=("old primary",)),
    Step("promote", where={INDIRECT: before_promotion, DIRECT: before_promotion_direct}, sites=("DR site",)),
)
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "forced", matrix_transport) as matrix:
        yield matrix


def converge(matrix, confirm):
    def after_forced(pair, inventory):
        current = sorted(matrix.state(pair).roles().values())
        if current == ["Primary", "Primary"]:
            return matrix.converge_with("arcdata.sqlmi.dr_rejoin", inventory)
        if current == ["Secondary", "Secondary"]:
            return matrix.converge_with(PLAYBOOK, inventory, confirm)
        return "nothing to do"
    return after_forced


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_forced_failover_cell(matrix, spec):
    dr_pair, inventory = matrix.live_pair("mxf")
    before = matrix.state(dr_pair).primary()
    after = partner(before)
    step = step_named(STEPS, spec.step)
    confirm = {"dr_failover_confirm": dr_pair.dag_name}
    cell = matrix.cell(dr_pair, inventory, spec, step, site={"old primary": before, "DR site": after}.get(spec.site),
                       extra_vars=confirm, converge=converge(matrix, confirm),
                       strike=strike_at(step, spec, before, after), expected_primary=after)
    assert_passed(cell)
