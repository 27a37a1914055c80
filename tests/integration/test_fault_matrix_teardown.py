"""Fault matrix, dr_teardown (with the instances): each cell sets up a new pair, tears it down under the fault, then
re-runs dr_teardown; nothing of the pair may be left on either site and no DR lock held. See fault_matrix.py."""
import pytest

from .fault_kinds import DIRECT, INDIRECT
from .fault_matrix import BRIDGE_AGENT, Step, Strike, assert_passed, matrix_cells, matrix_on_own_sandbox, \
    remove_pair, step_named, strike_at

PLAYBOOK = "arcdata.sqlmi.dr_teardown"


# The instance's removal: once the primary's instance is deleted (in direct mode: once Resource Manager's deletion
# reached the site), while the module waits for it to be gone.
def instance_deleted(site):
    return Strike(site, ("delete",), "sqlmanagedinstances")


def instance_deleted_direct(site):
    return Strike(site, ("delete",), "sqlmanagedinstances", agent=BRIDGE_AGENT)


STEPS = (
    Step("DAG", task=r"Remove this site's DAG resource", sites=("primary", "secondary")),
    Step("instances", task=r"Remove this site's instance", sites=("secondary",)),
    Step("instance removal", where={INDIRECT: instance_deleted, DIRECT: instance_deleted_direct},
         sites=("primary",)),
)
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "teardown", matrix_transport) as matrix:
        yield matrix


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_teardown_cell(matrix, spec):
    pair, inventory = matrix.set_up("mxt")
    step = step_named(STEPS, spec.step)
    confirm = {"dr_teardown_confirm": pair.dag_name, "dr_teardown_instances": True}
    try:
        cell = matrix.cell(pair, inventory, spec, step, site=spec.site, extra_vars=confirm,
                           strike=strike_at(step, spec, "primary"), invariants=matrix.gone)
    finally:
        remove_pair(matrix, pair, inventory)
    assert_passed(cell)
