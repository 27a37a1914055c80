"""Fault matrix, dr_rejoin: before each cell the pair is split (the link cut, the secondary forced to primary
through the API, a successful forced-failover record written naming it, the link healed: two primaries, as after a
forced failover whose old primary came back), then dr_rejoin runs under the fault and is re-run once the fault is
cleared. The split is made through the Kubernetes API: indirect mode only (fault_kinds.INAPPLICABLE). See
fault_matrix.py."""
import datetime
import json

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS
from .fault_kinds import INDIRECT
from .fault_matrix import Step, Strike, assert_passed, matrix_cells, matrix_on_own_sandbox, partner, step_named, \
    strike_at
from .pair_state import HANDOVER

PLAYBOOK = "arcdata.sqlmi.dr_rejoin"


# Where it strikes, as a function of (demoted, kept): the demotion once the DR lock is taken on the kept primary
# (the demotion held back meanwhile); the wait for the link once the demotion is written.
def before_demotion(old, new):
    return Strike(new, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def awaiting_the_link(old, new):
    return Strike(old, ("patch",), "failovergroups")


STEPS = (
    Step("demote", where={INDIRECT: before_demotion}, sites=("demoted",)),
    Step("wait for the link", where={INDIRECT: awaiting_the_link}, sites=("kept",), controller="demoted"),
)
CELLS = matrix_cells(PLAYBOOK, STEPS)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, matrix_transport):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "rejoin", matrix_transport) as matrix:
        yield matrix


def split(matrix, pair):
    """Two primaries and a record naming the one that took over; returns (old primary, new primary)."""
    sandbox, state = matrix.sandbox, matrix.state(pair)
    old = state.primary()
    new = partner(old)
    run_cli(sandbox.runtime_dir, "partition")
    try:
        handle = sandbox.site(new)
        handle.custom().patch_namespaced_custom_object(ARC_GROUP, "v2", handle.namespace, "failovergroups",
                                                       pair.dags[new],
                                                       {"spec": {"role": "force-primary-allow-data-loss"}})
        state.wait(new, lambda obj: ((obj or {}).get("status") or {}).get("role") == "Primary")
        record = {"time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "mode": "forced", "from_site": old, "to_site": new, "outcome": "succeeded",
                  "from_instance": pair.instances[old], "to_instance": pair.instances[new], "operator": "matrix",
                  "job": None, "details": "forced through the API by the fault matrix"}
        for site in HOSTS:
            handle = sandbox.site(site)
            handle.custom().patch_namespaced_custom_object(
                ARC_GROUP, "v2", handle.namespace, "failovergroups", pair.dags[site],
                {"metadata": {"annotations": {HANDOVER: json.dumps(record, sort_keys=True)}}})
    finally:
        run_cli(sandbox.runtime_dir, "heal")
    assert state.roles() == {"primary": "Primary", "secondary": "Primary"}
    return old, new


@pytest.mark.parametrize("matrix_transport, spec", CELLS, indirect=["matrix_transport"], scope="module")
def test_rejoin_cell(matrix, spec):
    dr_pair, inventory = matrix.live_pair("mxr")
    old, new = split(matrix, dr_pair)
    step = step_named(STEPS, spec.step)
    cell = matrix.cell(dr_pair, inventory, spec, step, site={"demoted": old, "kept": new}.get(spec.site),
                       strike=strike_at(step, spec, old, new), expected_primary=new)
    cell.checks["the recorded primary kept"] = matrix.state(dr_pair).primary() == new
    assert_passed(cell)
