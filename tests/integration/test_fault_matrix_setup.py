"""Fault matrix (issue 6, item 1), dr_setup: each cell sets up a new pair under its fault, then converges it by
re-running dr_setup. See fault_matrix.py."""
import pytest

from tests.sandbox.conftest import SandboxHandle, run_cli

from .conftest import TIMINGS, delete_dr_pair
from .fault_matrix import Matrix

PLAYBOOK = "arcdata.sqlmi.dr_setup"
INSTANCES = r"Create or update this site's instance"
DAG = r"Create or update the DAG resource on the primary site first"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("sandbox-matrix-setup")
    run_cli(runtime_dir, "up", "--api-port", "0", *TIMINGS)
    matrix = Matrix(SandboxHandle(runtime_dir), tmp_path_factory.mktemp("matrix-setup"), PLAYBOOK)
    try:
        yield matrix
        matrix.save()
    finally:
        run_cli(runtime_dir, "heal", check=False)
        run_cli(runtime_dir, "down", check=False)


# (step, fault, task where the fault strikes, the site whose API dies)
CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("instances", "api-dies", INSTANCES, "secondary"),
    ("instances", "link-cut", INSTANCES, None),
    ("DAG", "api-dies", DAG, "primary"),
    ("DAG", "link-cut", DAG, None),
]


@pytest.mark.parametrize("step, fault, task, site", CELLS, ids=["%s-%s" % (c[0].replace(" ", "-"), c[1]) for c in CELLS])
def test_setup_cell(matrix, step, fault, task, site):
    pair, inventory = matrix.new_pair("mxs")
    try:
        cell = matrix.cell(pair, inventory, step, fault, task=task, site=site)
    finally:
        delete_dr_pair(matrix.sandbox, pair)
    failed = [name for name, ok in cell.checks.items() if not ok]
    assert not failed, "%s/%s: %s; outcome %s: %s" % (step, fault, failed, cell.outcome, cell.message)
