"""Fault matrix (issue 6, item 1), dr_setup: each cell sets up a new pair under its fault, then converges it by
re-running dr_setup. See fault_matrix.py."""
import pytest

from .conftest import delete_dr_pair
from .fault_matrix import assert_passed, cell_id, matrix_on_own_sandbox

PLAYBOOK = "arcdata.sqlmi.dr_setup"
INSTANCES = r"Create or update this site's instance and wait until it is Ready for its generation"
DAG = r"Create or update the DAG resource on the primary site first"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "setup") as matrix:
        yield matrix


# (step, fault, task where the fault strikes, the site whose API dies)
CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("instances", "api-dies", INSTANCES, "secondary"),
    ("instances", "link-cut", INSTANCES, None),
    ("DAG", "api-dies", DAG, "primary"),
    ("DAG", "link-cut", DAG, None),
]


@pytest.mark.parametrize("step, fault, task, site", CELLS, ids=[cell_id(c) for c in CELLS])
def test_setup_cell(matrix, step, fault, task, site):
    pair, inventory = matrix.new_pair("mxs")
    try:
        cell = matrix.cell(pair, inventory, step, fault, task=task, site=site)
    finally:
        delete_dr_pair(matrix.sandbox, pair)
    assert_passed(cell)
