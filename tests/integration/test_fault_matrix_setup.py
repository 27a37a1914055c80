"""Fault matrix, dr_setup: each cell sets up a new pair under its fault, then converges it by re-running dr_setup.
See fault_matrix.py."""
import pytest

from .fault_matrix import Step, assert_passed, matrix_cells, matrix_on_own_sandbox, remove_pair, step_named

PLAYBOOK = "arcdata.sqlmi.dr_setup"
STEPS = (
    Step("instances", task=r"Create or update this site's instance and wait until it is Ready for its generation",
         sites=("secondary",)),
    Step("DAG", task=r"Create or update the DAG resource on the primary site first", sites=("primary",)),
)
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "setup", matrix_transport) as matrix:
        yield matrix


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_setup_cell(matrix, spec):
    pair, inventory = matrix.new_pair("mxs")
    try:
        cell = matrix.cell(pair, inventory, spec, step_named(STEPS, spec.step), site=spec.site)
    finally:
        remove_pair(matrix, pair, inventory)
    assert_passed(cell)
