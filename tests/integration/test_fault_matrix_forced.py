"""Fault matrix (issue 6, item 1), failover_forced on a live pair (the operator confirmed it). A forced failover
that completed is not re-run (it would fail over again); one that left two primaries converges with dr_rejoin,
one that failed before promoting anyone with a second failover_forced. See fault_matrix.py."""
import pytest

from .dr_playbooks import roles
from .fault_matrix import assert_passed, cell_id, matrix_on_own_sandbox, partner, primary_site

PLAYBOOK = "arcdata.sqlmi.failover_forced"
FENCE = r"Demote the old primary with force-secondary"
PROMOTE = r"Promote the DR site with force-primary-allow-data-loss"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "forced") as matrix:
        yield matrix


@pytest.fixture(scope="module")
def pair(matrix):
    return matrix.set_up("mxf")


def converge(matrix, confirm):
    def after_forced(pair, inventory):
        current = sorted(roles(matrix.sandbox, pair).values())
        if current == ["Primary", "Primary"]:
            return matrix.converge_with("arcdata.sqlmi.dr_rejoin", inventory)
        if current == ["Secondary", "Secondary"]:
            return matrix.converge_with(PLAYBOOK, inventory, confirm)
        return "nothing to do"
    return after_forced


# (step, fault, task where the fault strikes, whose API dies: the old primary being fenced or the DR site)
CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("fence", "api-dies", FENCE, "old primary"),
    ("fence", "link-cut", FENCE, None),
    ("promote", "api-dies", PROMOTE, "DR site"),
    ("promote", "link-cut", PROMOTE, None),
]


@pytest.mark.parametrize("step, fault, task, dying", CELLS, ids=[cell_id(c) for c in CELLS])
def test_forced_failover_cell(matrix, pair, step, fault, task, dying):
    dr_pair, inventory = pair
    before = primary_site(matrix.sandbox, dr_pair)
    site = {"old primary": before, "DR site": partner(before)}.get(dying)
    confirm = {"dr_failover_confirm": dr_pair.dag_name}
    cell = matrix.cell(dr_pair, inventory, step, fault, task=task, site=site, extra_vars=confirm,
                       converge=converge(matrix, confirm))
    assert_passed(cell)
