"""Fault matrix, failback: before each cell the pair is failed over to the DR site (failover_planned, no fault),
then failback runs under the fault and is re-run once it is cleared; the home roles must be back (the site that
was primary when the pair was set up is primary again) and no write the workload was acknowledged lost. See
fault_matrix.py; the steps are planned_steps.py's."""
import pytest

from .fault_matrix import AcknowledgedWrites, assert_passed, matrix_cells, matrix_on_own_sandbox, step_named, \
    strike_at
from .planned_steps import STEPS

PLAYBOOK = "arcdata.sqlmi.failback"
HOME, AWAY = "primary", "secondary"
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "failback", matrix_transport) as matrix:
        yield matrix


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_failback_cell(matrix, spec):
    dr_pair, inventory = matrix.live_pair("mxb")
    state = matrix.state(dr_pair)
    if state.primary() == HOME:
        matrix.run("arcdata.sqlmi.failover_planned", inventory, check_rc=True)
    step = step_named(STEPS, spec.step)
    writes = AcknowledgedWrites(state)
    try:
        cell = matrix.cell(dr_pair, inventory, spec, step, site={"from": AWAY, "to": HOME}.get(spec.site),
                           strike=strike_at(step, spec, AWAY, HOME), expected_primary=HOME)
    finally:
        lost = writes.lost()
    cell.checks["the home roles back"] = state.primary() == HOME
    cell.checks["no acknowledged write lost"] = not lost
    cell.acknowledged_writes = len(writes.workload.acknowledged)
    assert_passed(cell)
