"""Fault matrix (issue 6, item 1), failover_planned: a workload writes to the primary all along, and no write it
was acknowledged may be missing on the primary afterwards, whatever the fault. See fault_matrix.py."""
import pytest

from .fault_matrix import AcknowledgedWrites, assert_passed, cell_id, matrix_on_own_sandbox, partner, primary_site

PLAYBOOK = "arcdata.sqlmi.failover_planned"
SWITCH = r"Set role secondary on the current primary"
RECORD = r"Record the handover on each reachable site"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "planned") as matrix:
        yield matrix


@pytest.fixture(scope="module")
def pair(matrix):
    return matrix.set_up("mxp")


# (step, fault, task where the fault strikes, whose API dies: the site giving up the primary role, or the one
# taking it). A link cut between the preflight and the switch makes the controller abandon the switch and leaves
# spec.role 'secondary' on the primary; the re-run withdraws that request and asks again (arc_dag).
CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("switch", "api-dies", SWITCH, "from"),
    ("switch", "link-cut", SWITCH, None),
    ("record", "api-dies", RECORD, "to"),
    ("record", "link-cut", RECORD, None),
]


@pytest.mark.parametrize("step, fault, task, dying", CELLS, ids=[cell_id(c) for c in CELLS])
def test_planned_failover_cell(matrix, pair, step, fault, task, dying):
    dr_pair, inventory = pair
    before = primary_site(matrix.sandbox, dr_pair)
    site = {"from": before, "to": partner(before)}.get(dying)
    writes = AcknowledgedWrites(matrix.sandbox, dr_pair)
    try:
        cell = matrix.cell(dr_pair, inventory, step, fault, task=task, site=site)
    finally:
        lost = writes.lost()
    cell.checks["no acknowledged write lost"] = not lost
    cell.acknowledged_writes = len(writes.workload.acknowledged)
    assert_passed(cell)
