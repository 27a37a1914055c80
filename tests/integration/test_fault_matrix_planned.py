"""Fault matrix (issue 6, item 1), failover_planned: a workload writes to the primary all along, and no write it
was acknowledged may be missing on the primary afterwards, whatever the fault. See fault_matrix.py."""
import pytest

from .fault_matrix import (AcknowledgedWrites, Strike, assert_passed, cell_id, matrix_on_own_sandbox, partner,
                           primary_site)

PLAYBOOK = "arcdata.sqlmi.failover_planned"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "planned") as matrix:
        yield matrix


@pytest.fixture(scope="module")
def pair(matrix):
    return matrix.set_up("mxp")


# (step, fault, where it strikes, whose API dies: the site giving up the primary role, or the one taking it).
# Where it strikes, as a function of the two sites: the switch once the DR lock is taken on the primary (its role
# patch held back meanwhile); the record once the primary's own record is written (the other site's held back).
# A link cut before the switch makes the controller abandon it and leaves spec.role 'secondary' on the primary;
# the re-run withdraws that request and asks again.
def before_switch(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def at_record(old, new):
    return Strike(old, ("patch",), "failovergroups", nth=2, hold=(new, "patch", "failovergroups"))


CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("switch", "api-dies", before_switch, "from"),
    ("switch", "api-dies", before_switch, "to"),
    ("switch", "link-cut", before_switch, None),
    ("record", "api-dies", at_record, "to"),
    ("record", "link-cut", at_record, None),
]


@pytest.mark.parametrize("step, fault, where, dying", CELLS, ids=[cell_id(c) for c in CELLS])
def test_planned_failover_cell(matrix, pair, step, fault, where, dying):
    dr_pair, inventory = pair
    before = primary_site(matrix.sandbox, dr_pair)
    site = {"from": before, "to": partner(before)}.get(dying)
    writes = AcknowledgedWrites(matrix.sandbox, dr_pair)
    try:
        cell = matrix.cell(dr_pair, inventory, step, fault, site=site,
                           strike=where(before, partner(before)) if where else None)
    finally:
        lost = writes.lost()
    cell.checks["no acknowledged write lost"] = not lost
    cell.acknowledged_writes = len(writes.workload.acknowledged)
    assert_passed(cell)
