"""The ARM behaviour switches and the token lifetime, set when a direct-mode sandbox is created: with
fill_partner_certificate off the CR gets exactly the request's spec fields; with delete_cascades on, deleting
one side's failover group deletes the partner side's too; --token-lifetime bounds every token."""
import time

import pytest

from tests.sandbox.conftest import SandboxHandle, run_cli
from tests.sandbox.controller.conftest import TIMINGS

from .arm_support import FOG_VERSION, Azure
from .test_failover_groups import ArmPair

TOKEN_LIFETIME = 600


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("arm-switched")
    run_cli(runtime_dir, "up", "--api-port", "0", "--mode", "direct", *TIMINGS, "--token-lifetime", str(TOKEN_LIFETIME),
            "--arm-behaviour", "fill_partner_certificate=false,delete_cascades=true")
    try:
        handle = SandboxHandle(runtime_dir)
        yield handle, Azure(runtime_dir, handle.report["azure"])
    finally:
        run_cli(runtime_dir, "down", check=False)


def test_switches_are_reported(switched):
    assert switched[1].status["behaviour"] == {"fill_partner_certificate": False, "delete_cascades": True}


def test_token_lifetime(switched):
    azure = switched[1]
    token = azure.credential("operator").get_token(azure.scope)
    assert token.expires_on <= time.time() + TOKEN_LIFETIME


def test_unfilled_spec_and_cascading_delete(switched):
    handle, azure = switched
    operator = azure.client("operator")
    pair = ArmPair(handle, azure, operator).create()
    for side in ("primary", "secondary"):
        (cr,) = pair_crs(handle, pair, side)
        assert set(cr["spec"]) == {"role", "partnerSyncMode"}
    operator.begin("DELETE", pair.path("primary"), FOG_VERSION).result()
    for side in ("primary", "secondary"):
        assert operator.send("GET", pair.path(side), FOG_VERSION).status_code == 404
        assert pair_crs(handle, pair, side) == []


def pair_crs(handle, pair, side):
    """The side's FailoverGroup CRs ARM made for the pair (no sourceMI without the fill: by the ARM resource id)."""
    site = handle.site(side)
    items = site.custom().list_namespaced_custom_object("sql.arcdata.microsoft.com", "v2", site.namespace,
                                                        "failovergroups")["items"]
    return [cr for cr in items
            if cr["metadata"].get("annotations", {}).get("management.azure.com/resourceId") == pair.path(side)]


def test_refused_switch_names_the_known_ones(tmp_path):
    result = run_cli(tmp_path, "up", "--api-port", "0", "--mode", "direct", "--arm-behaviour", "cascade=true",
                     check=False)
    run_cli(tmp_path, "down", check=False)
    assert result.returncode != 0 and "delete_cascades" in result.stderr
