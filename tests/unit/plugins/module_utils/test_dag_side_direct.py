# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site's failover group through Resource Manager (dag_side_direct.py) against in-memory ARM resources and a
scripted controller: creation, the role rules, idempotence, check mode, the refusal while ARM is busy, deletion of
one side or both. No server, no waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dag_side_direct
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, ArcError, InvalidInput

RG = "rg"
ROLE_OF = {"primary": "Primary", "secondary": "Secondary", "force-primary-allow-data-loss": "Primary",
           "force-secondary": "Secondary"}


def instance_id(group, name):
    return "/subscriptions/s/resourceGroups/%s/providers/Microsoft.AzureArcData/sqlManagedInstances/%s" % (group, name)


class FakeClient(object):
    """What an ArcDataResources of another resource group (the partner's) asks of the ARM client."""

    subscription_id = "s"
    credentials = type("Credentials", (), {"cloud": type("Cloud", (), {"resource_manager": "https://arm.example"})()})()

    def __init__(self, store):
        self.store = store

    def get(self, resource_id, api_version, site=None):
        return copy.deepcopy(self.store.get(resource_id))


class FakeArcData(object):
    """ARM's resources of the sandbox's resource groups in memory; a PUT is carried out by a scripted controller
    (the status takes the role asked for, with a new lastUpdateTime), every write is noted."""

    api_version = "2024-01-01"
    timeout = 60

    def __init__(self, resource_group=RG, store=None):
        self.resource_group = resource_group
        self.store = store if store is not None else {}
        self.writes = []
        self.client = FakeClient(self.store)
        self.ticks = 0

    def instance_id(self, name):
        return instance_id(self.resource_group, name)

    def failover_group_id(self, instance, name):
        return "%s/failoverGroups/%s" % (self.instance_id(instance), name)

    def get_instance(self, name):
        return copy.deepcopy(self.store.get(self.instance_id(name)))

    def list_instances(self):
        return [copy.deepcopy(v) for k, v in self.store.items() if "/failoverGroups/" not in k and
                k.startswith(instance_id(self.resource_group, ""))]

    def get_failover_group(self, instance, name):
        return copy.deepcopy(self.store.get(self.failover_group_id(instance, name)))

    def put_failover_group(self, instance, name, body, current=None):
        self.writes.append(("PUT", self.failover_group_id(instance, name), copy.deepcopy(body)))
        self.ticks += 1
        spec = body["properties"]["spec"]
        resource = {"name": name, "properties": dict(copy.deepcopy(body["properties"]), provisioningState="Succeeded",
                                                     metadata={"name": "uuid-%s" % name},
                                                     status={"state": "Succeeded", "role": ROLE_OF[spec["role"]],
                                                             "lastUpdateTime": "t%d" % self.ticks})}
        self.store[self.failover_group_id(instance, name)] = resource
        return copy.deepcopy(resource)

    def delete_failover_group(self, instance, name):
        self.writes.append(("DELETE", self.failover_group_id(instance, name), None))
        return self.store.pop(self.failover_group_id(instance, name), None) is not None


class FakeSite(object):
    label = "resource group rg (Azure Resource Manager https://arm.example)"
    subscription_id = "s"

    def __init__(self, arc_data):
        self.arc_data = arc_data
        self.resource_group, self.client = arc_data.resource_group, arc_data.client  # (permissions: not listed)
        self.scope_checked = False

    def check_scope(self):
        self.scope_checked = True


@pytest.fixture
def arm():
    arc_data = FakeArcData()
    for group, name, licence in ((RG, "sqlpr", "LicenseIncluded"), (RG, "sqldr", "DisasterRecovery")):
        arc_data.store[instance_id(group, name)] = {"name": name, "properties": {"licenseType": licence}}
    return arc_data


def side(arc_data, local="sqlpr", **kwargs):
    kwargs.setdefault("partner_instance", "sqldr" if local == "sqlpr" else "sqlpr")
    return dag_side_direct.DirectDagSide(FakeSite(arc_data), "fog1", local_instance=local, **kwargs)


def wanted(**fields):
    values = dict((key, None) for key in ("dag_name", "local_instance", "remote_instance", "remote_mirroring_url",
                                          "remote_mirroring_cert", "sync_mode", "role"))
    values.update(fields)
    return values


def create(arc_data, local="sqlpr", role="primary", **kwargs):
    partner = "sqldr" if local == "sqlpr" else "sqlpr"
    return side(arc_data, local, **kwargs).present(wanted(local_instance=local, remote_instance=partner, role=role))


def test_a_creation_is_one_put_naming_the_partner_and_waits_for_the_applied_status(arm):
    result = create(arm)
    assert result["changed"] and result["role"] == "Primary" and result["state"] == "Succeeded"
    ((verb, resource_id, body),) = arm.writes
    assert verb == "PUT" and resource_id.endswith("/sqlManagedInstances/sqlpr/failoverGroups/fog1")
    assert body == {"properties": {"partnerManagedInstanceId": instance_id(RG, "sqldr"),
                                   "spec": {"role": "primary", "partnerSyncMode": "async", "sourceMI": "sqlpr",
                                            "partnerMI": "sqldr"}}}
    assert result["resource_id"] == resource_id and result["provisioning_state"] == "Succeeded"


def test_the_same_options_again_write_nothing(arm):
    create(arm)
    result = create(arm)
    assert not result["changed"] and len(arm.writes) == 1


def test_check_mode_validates_sends_nothing_and_returns_the_request(arm):
    result = create(arm, check_mode=True)
    assert result["changed"] and arm.writes == []
    request = result["arm_request"]
    assert request["method"] == "PUT" and request["sent"] is False
    assert request["url"] == "https://arm.example%s?api-version=2024-01-01" % arm.failover_group_id("sqlpr", "fog1")


def test_a_missing_partner_instance_is_named_before_any_write(arm):
    with pytest.raises(InvalidInput) as caught:
        side(arm, partner_resource_group="rg-dr").present(wanted(local_instance="sqlpr", remote_instance="sqldr",
                                                                 role="primary"))
    assert "remote_instance 'sqldr' does not exist in resource group 'rg-dr'" in caught.value.message
    assert arm.writes == []


def test_a_planned_failover_is_a_put_of_the_whole_resource_with_role_secondary(arm):
    create(arm)
    result = side(arm).present(wanted(role="secondary"))
    assert result["role"] == "Secondary" and result["failover"]["action"] == "planned failover"
    (verb, unused, body) = arm.writes[-1]
    assert body["properties"]["spec"]["role"] == "secondary"
    assert body["properties"]["partnerManagedInstanceId"] == instance_id(RG, "sqldr")


def test_primary_on_update_is_refused_as_in_indirect_mode(arm):
    create(arm, local="sqldr", role="secondary")
    with pytest.raises(InvalidInput) as caught:
        side(arm, local="sqldr").present(wanted(role="primary"))
    assert "role=primary cannot be set on an existing resource" in caught.value.message
    assert len(arm.writes) == 1


def test_a_write_is_refused_while_resource_manager_is_busy(arm):
    create(arm)
    arm.store[arm.failover_group_id("sqlpr", "fog1")]["properties"]["provisioningState"] = "Accepted"
    with pytest.raises(ApiFailure) as caught:
        side(arm, check_mode=True).present(wanted(role="secondary"))
    assert "provisioningState Accepted" in caught.value.message and len(arm.writes) == 1


def test_an_abandoned_switch_is_not_withdrawn_in_direct_mode(arm):
    create(arm)
    fog = arm.store[arm.failover_group_id("sqlpr", "fog1")]["properties"]
    fog["spec"]["role"] = "secondary"
    fog["status"].update(state="Failed", role="Primary")
    with pytest.raises(ArcError) as caught:
        side(arm).present(wanted(role="secondary"))
    assert "never sent role primary on update" in caught.value.message and len(arm.writes) == 1


def test_the_instance_is_found_when_local_instance_is_not_given(arm):
    create(arm)
    assert side(arm, local=None).instance == "sqlpr"


def test_deleting_one_side_reports_the_partner_side_left(arm):
    create(arm)
    create(arm, local="sqldr", role="secondary")
    warnings = []
    result = side(arm, warn=warnings.append).absent()
    assert result["changed"] and result["partner_side"] == {
        "resource_id": arm.failover_group_id("sqldr", "fog1"), "deleted": False, "exists": True}
    assert [w[0] for w in arm.writes].count("DELETE") == 1
    assert "delete_partner_side" in warnings[0]


def test_deleting_both_sides_and_again(arm):
    create(arm)
    create(arm, local="sqldr", role="secondary")
    result = side(arm, delete_partner=True).absent()
    assert result["partner_side"]["deleted"] is True
    assert [w[1] for w in arm.writes if w[0] == "DELETE"] == [arm.failover_group_id("sqlpr", "fog1"),
                                                              arm.failover_group_id("sqldr", "fog1")]
    again = side(arm, delete_partner=True).absent()
    assert not again["changed"] and again["partner_side"]["exists"] is False


def test_deleting_in_check_mode_sends_nothing(arm):
    create(arm)
    create(arm, local="sqldr", role="secondary")
    result = side(arm, delete_partner=True, check_mode=True).absent()
    assert result["arm_request"]["method"] == "DELETE"
    assert result["partner_side"]["arm_request"]["method"] == "DELETE"
    assert [w[0] for w in arm.writes] == ["PUT", "PUT"]


def test_a_creation_needs_the_instances_and_the_role_but_not_what_the_service_fills(arm):
    with pytest.raises(InvalidInput) as caught:
        side(arm).present(wanted(local_instance="sqlpr"))
    problems = caught.value.details["problems"]
    assert any("remote_instance is required" in p for p in problems)
    assert any("role is required" in p for p in problems)
    assert not any("remote_mirroring" in p or "dag_name" in p for p in problems)
    assert arm.writes == []
