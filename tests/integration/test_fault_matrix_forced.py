"""Fault matrix (issue 6, item 1), failover_forced on a live pair (the operator confirmed it). A forced failover
that completed is not re-run (it would fail over again); one that left two primaries converges with dr_rejoin,
one that failed before promoting anyone with a second failover_forced. See fault_matrix.py."""
import pytest

from .dr_playbooks import roles
from .fault_matrix import Strike, assert_passed, cell_id, matrix_on_own_sandbox, partner, primary_site

PLAYBOOK = "arcdata.sqlmi.failover_forced"


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


# (step, fault, where it strikes, whose API dies: the old primary being fenced or the DR site). Where it strikes, as
# a function of (old primary, DR site): the fence once the DR lock is taken on the old primary (its fence held back
# meanwhile); the promotion once the fence is written, the DR site's controller reporting its new role held back
# meanwhile (whether it takes the primary role by itself after the fence or is promoted)
def before_fence(old, new):
    return Strike(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def before_promotion(old, new):
    return Strike(old, ("patch",), "failovergroups", hold=(new, "*", "failovergroups/status"), hold_any_client=True)


CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("fence", "api-dies", before_fence, "old primary"),
    ("fence", "link-cut", before_fence, None),
    ("promote", "api-dies", before_promotion, "DR site"),
    ("promote", "link-cut", before_promotion, None),
]


@pytest.mark.parametrize("step, fault, where, dying", CELLS, ids=[cell_id(c) for c in CELLS])
def test_forced_failover_cell(matrix, pair, step, fault, where, dying):
    dr_pair, inventory = pair
    before = primary_site(matrix.sandbox, dr_pair)
    site = {"old primary": before, "DR site": partner(before)}.get(dying)
    confirm = {"dr_failover_confirm": dr_pair.dag_name}
    cell = matrix.cell(dr_pair, inventory, step, fault, site=site, extra_vars=confirm,
                       converge=converge(matrix, confirm), strike=where(before, partner(before)) if where else None)
    assert_passed(cell)
