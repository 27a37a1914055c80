"""Bad input of dr_setup in direct connection mode (issue 15), on a sandbox of its own started with --mode direct:
an inventory whose Azure variables are wrong for one site (or both) fails before any write through Azure Resource
Manager (counted in the sandbox's Azure audit log), with a message that names the option or inventory variable,
the value given and what to do.

A custom location of the other site is refused when named as the sandbox names them (a name: it is looked up in
the site's resource group, where the other site's does not exist). Given as the other site's full resource ID, it
exists, and nothing in Resource Manager ties a custom location to an inventory host: the pair is refused because its
two sites would then be one place (one custom location, the `distinct` check of the preflight). Both sites given
each other's custom location by ID is two places still, and is not detected.

A principal without rights: Resource Manager offers no dry run of a write, but it lists what a caller may do in a
resource group; the reader's first write fails before it is sent, naming the action it lacks."""
import json

import pytest

from sandbox.arm.files import azure_files

from .conftest import Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, failed_messages

ARM_WRITES = ("PUT", "PATCH", "DELETE")
RUN_BOUND = 180
UNKNOWN_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
# the environment a developer's shell may carry: none of it may stand in for what the inventory lacks
NO_AZURE_ENVIRONMENT = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_CLIENT_ID": "", "AZURE_SECRET": "", "AZURE_TENANT": "",
                        "AZURE_PROFILE": ""}


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-bad-input", "--mode", "direct") as sites:
        yield sites


def _audit(sites):
    path = azure_files(sites.runtime_dir).audit_log
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _arm_writes(entries):
    """Writes of resources (not the token requests) sent to Resource Manager, whatever it answered."""
    return [e for e in entries if e["method"] in ARM_WRITES and e["path"].lower().startswith("/subscriptions/")]


def _swap_custom_locations(pair):
    primary, secondary = pair.connection["primary"], pair.connection["secondary"]
    primary["arc_azure_custom_location"], secondary["arc_azure_custom_location"] = \
        secondary["arc_azure_custom_location"], primary["arc_azure_custom_location"]
    return primary["arc_azure_custom_location"]


def _other_sites_custom_location_by_id(pair):
    """The primary given the secondary's custom location as a full resource ID."""
    secondary = pair.connection["secondary"]
    resource_id = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ExtendedLocation/customLocations/%s" % (
        secondary["arc_azure_subscription_id"], secondary["arc_azure_resource_group"],
        secondary["arc_azure_custom_location"]))
    pair.connection["primary"]["arc_azure_custom_location"] = resource_id
    return secondary["arc_azure_custom_location"]


def _drop_secret(pair):
    for site in pair.connection.values():
        site.pop("arc_azure_secret")
    return None


def _reader(sites):
    def use_reader(pair):
        reader = json.loads(azure_files(sites.runtime_dir).principals.read_text())["reader"]
        for site in pair.connection.values():
            site.update(arc_azure_client_id=reader["client_id"], arc_azure_secret=reader["secret"])
        return reader["client_id"]
    return use_reader


def _setter(variable, value):
    def set_on_primary(pair):
        pair.connection["primary"][variable] = value
        return value
    return set_on_primary


# (id, how to spoil the inventory -> the value given, phrases the failure must hold; {value} is the value given)
CASES = [
    ("unknown-subscription", lambda sites: _setter("arc_azure_subscription_id", UNKNOWN_SUBSCRIPTION),
     ["subscription_id", "{value}", "az account list"]),
    ("wrong-resource-group", lambda sites: _setter("arc_azure_resource_group", "no-such-group"),
     ["resource_group", "'{value}'", "az group list"]),
    ("custom-location-of-the-other-site", lambda sites: _swap_custom_locations,
     ["custom_location", "'{value}'", "does not exist", "az customlocation list"]),
    ("custom-location-of-the-other-site-by-id", lambda sites: _other_sites_custom_location_by_id,
     ["are both given custom location", "customLocations/{value}", "arc_azure_custom_location",
      "az customlocation list"]),
    ("missing-secret", lambda sites: _drop_secret, ["secret missing", "client_id, secret and tenant", "set secret"]),
    ("reader-principal", _reader, ["Microsoft.AzureArcData/sqlManagedInstances/write", "{value}",
                                   "extensions/azure/arcdata-sqlmi-role.json"]),
    ("unserved-api-version", lambda sites: _setter("arc_azure_arm_api_version", "2019-01-01"),
     ["arm_api_version", "'{value}'", "2024-01-01"]),
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("spoil,phrases", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_dr_setup_refuses_bad_azure_input_before_any_write(direct_sites, tmp_path, spoil, phrases):
    pairs = PlaybookPairs(direct_sites, tmp_path)
    pair = pairs.new("bad")
    value = spoil(direct_sites)(pair)
    inventory = pairs.inventory(pair)
    before = len(_audit(direct_sites))
    run = Ansible(direct_sites, tmp_path).run("arcdata.sqlmi.dr_setup", inventory=inventory, timeout=RUN_BOUND,
                                              env=NO_AZURE_ENVIRONMENT)
    messages = failed_messages(run)
    assert run.rc != 0, run.stdout[-3000:]
    for phrase in phrases:
        expected = phrase.format(value=value)
        assert expected in messages, f"{expected!r} not in: {messages}"
    writes = _arm_writes(_audit(direct_sites)[before:])
    assert writes == [], f"dr_setup sent Resource Manager writes before failing: {writes}"
