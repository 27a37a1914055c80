"""The inventory a direct-mode sandbox writes: every site host carries the connection mode, where its
instances live in ARM and the operator principal's credentials (in a 0600 file), and those credentials work;
an indirect sandbox's inventory has none of it."""
import stat
from pathlib import Path

import yaml
from azure.identity import ClientSecretCredential

from sandbox import inventory
from sandbox.layout import site_files
from tests.sandbox.conftest import run_cli

DIRECT_VARIABLES = ("arc_connection_mode", "arc_azure_subscription_id", "arc_azure_resource_group",
                    "arc_azure_custom_location", "arc_azure_client_id", "arc_azure_secret", "arc_azure_tenant",
                    "arc_azure_cloud_environment", "arc_azure_ca_bundle")


def site_hosts(path):
    document = yaml.safe_load(Path(path).read_text())
    pairs = document["all"]["children"]["arc_dr_pairs"]["children"]
    return {host: values for pair in pairs.values() for host, values in pair["hosts"].items()}


def test_direct_inventory_names_arm_and_working_credentials(direct, azure, operator):
    path = direct.report["inventory"]
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    hosts = site_hosts(path)
    for site in ("primary", "secondary"):
        host = hosts[site]
        assert set(DIRECT_VARIABLES) <= set(host)
        assert host["arc_connection_mode"] == "direct"
        assert host["arc_azure_resource_group"] == azure.resource_group(site)
        assert host["arc_azure_cloud_environment"] == azure.status["metadata_url"]
        location = (f"/subscriptions/{host['arc_azure_subscription_id']}/resourceGroups/"
                    f"{host['arc_azure_resource_group']}/providers/Microsoft.ExtendedLocation/customLocations/"
                    f"{host['arc_azure_custom_location']}")
        assert operator.send("GET", location, "2021-08-15").status_code == 200
    host = hosts["primary"]
    credential = ClientSecretCredential(host["arc_azure_tenant"], host["arc_azure_client_id"], host["arc_azure_secret"],
                                        authority=azure.url, disable_instance_discovery=True,
                                        connection_verify=host["arc_azure_ca_bundle"])
    assert credential.get_token(azure.scope).token
    assert stat.S_IMODE(azure.files.principals.stat().st_mode) == 0o600


def test_fleet_inventory_of_a_direct_sandbox_is_direct(direct, tmp_path):
    output = tmp_path / "fleet.yml"
    run_cli(direct.runtime_dir, "inventory", "--pairs", "2", "--output", str(output))
    assert {host["arc_connection_mode"] for host in site_hosts(output).values()} == {"direct"}


def test_indirect_inventory_has_no_direct_variables(direct):
    sites = {name: site_files(direct.runtime_dir, name).load_config() for name in ("primary", "secondary")}
    files = {name: site_files(direct.runtime_dir, name) for name in sites}
    rendered = inventory.render(sites, files, "password")
    hosts = rendered["all"]["children"]["arc_dr_pairs"]["children"]["sandbox_pair"]["hosts"]
    assert all(not set(DIRECT_VARIABLES) & set(values) for values in hosts.values())
