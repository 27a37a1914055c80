"""Fault matrix (issue 6, item 1), dr_rejoin: before each cell the pair is split (the link cut, the secondary
forced to primary through the API, a successful forced-failover record written naming it, the link healed: two
primaries, as after a forced failover whose old primary came back), then dr_rejoin runs under the fault and is
re-run once the fault is cleared. See fault_matrix.py."""
import datetime
import json

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS
from .dr_playbooks import roles, wait_for_dag
from .fault_matrix import Strike, assert_passed, cell_id, matrix_on_own_sandbox, partner, primary_site

PLAYBOOK = "arcdata.sqlmi.dr_rejoin"
HANDOVER = "arcdata.sqlmi/handover"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    with matrix_on_own_sandbox(tmp_path_factory, PLAYBOOK, "rejoin") as matrix:
        yield matrix


@pytest.fixture(scope="module")
def pair(matrix):
    return matrix.set_up("mxr")


def split(matrix, pair):
    """Two primaries and a record naming the one that took over; returns (old primary, new primary)."""
    sandbox = matrix.sandbox
    old = primary_site(sandbox, pair)
    new = partner(old)
    run_cli(sandbox.runtime_dir, "partition")
    try:
        handle = sandbox.site(new)
        handle.custom().patch_namespaced_custom_object(ARC_GROUP, "v2", handle.namespace, "failovergroups",
                                                       pair.dags[new],
                                                       {"spec": {"role": "force-primary-allow-data-loss"}})
        wait_for_dag(sandbox, pair, new, lambda obj: (obj.get("status") or {}).get("role") == "Primary")
        record = {"time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
    assert roles(sandbox, pair) == {"primary": "Primary", "secondary": "Primary"}
    return old, new


# (step, fault, where it strikes, whose API dies: the old primary being demoted or the one kept). Where it strikes,
# as a function of (demoted, kept): the demotion once the DR lock is taken on the kept primary (the demotion held
# back meanwhile); the wait for the link once the demotion is written.
def before_demotion(old, new):
    return Strike(new, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))


def awaiting_the_link(old, new):
    return Strike(old, ("patch",), "failovergroups")


CELLS = [
    ("every step", "flaky", None, None),
    ("every step", "conflicts", None, None),
    ("demote", "api-dies", before_demotion, "demoted"),
    ("demote", "link-cut", before_demotion, None),
    ("wait for the link", "api-dies", awaiting_the_link, "kept"),
    ("wait for the link", "link-cut", awaiting_the_link, None),
]


@pytest.mark.parametrize("step, fault, where, dying", CELLS, ids=[cell_id(c) for c in CELLS])
def test_rejoin_cell(matrix, pair, step, fault, where, dying):
    dr_pair, inventory = pair
    old, new = split(matrix, dr_pair)
    site = {"demoted": old, "kept": new}.get(dying)
    cell = matrix.cell(dr_pair, inventory, step, fault, site=site, strike=where(old, new) if where else None)
    cell.checks["the recorded primary kept"] = primary_site(matrix.sandbox, dr_pair) == new
    assert_passed(cell)
