"""Fault matrix, failover_planned: a workload writes to the primary all along, and no write it was acknowledged may
be missing on the primary afterwards, whatever the fault. See fault_matrix.py; the steps are planned_steps.py's."""
import pytest

from .fault_matrix import AcknowledgedWrites, assert_passed, matrix_cells, matrix_on_own_sandbox, partner, \
    step_named, strike_at
from .planned_steps import STEPS

PLAYBOOK = "arcdata.sqlmi.failover_planned"
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "planned", matrix_transport) as matrix:
        yield matrix


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_planned_failover_cell(matrix, spec):
    dr_pair, inventory = matrix.live_pair("mxp")
    state = matrix.state(dr_pair)
    before = state.primary()
    after = partner(before)
    step = step_named(STEPS, spec.step)
    writes = AcknowledgedWrites(state)
    try:
        cell = matrix.cell(dr_pair, inventory, spec, step, site={"from": before, "to": after}.get(spec.site),
                           strike=strike_at(step, spec, before, after), expected_primary=after)
    finally:
        lost = writes.lost()
    cell.checks["no acknowledged write lost"] = not lost
    cell.acknowledged_writes = len(writes.workload.acknowledged)
    assert_passed(cell)
