"""Failover groups over ARM: a PUT on each side becomes a FailoverGroup CR with a UUID name on each site,
certificates filled by the service, and the link comes up; a role change is a GET-modify-PUT of one side and
flips roles on both; DELETE removes one side's CR; a FailoverGroup made with kubectl stays out of ARM."""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError

from tests.sandbox.conftest import fog_body, to_yaml
from tests.sandbox.controller.conftest import FOG, GROUP, wait_for

from .arm_support import FOG_VERSION, INSTANCE_VERSION, instance_body
from .test_instances import ready_in_arm


class ArmPair:
    """Two ARM instances, one per site (the DR one with the DR licence), Ready, and their failover group."""

    def __init__(self, direct, azure, operator):
        tag = uuid.uuid4().hex[:6]
        self.direct, self.azure, self.operator = direct, azure, operator
        self.names = {"primary": f"sqla-{tag}", "secondary": f"sqlb-{tag}"}
        self.ids = {side: azure.instance_id(side, self.names[side]) for side in self.names}
        self.group = f"fg-{tag}"
        for side, licence in (("primary", "LicenseIncluded"), ("secondary", "DisasterRecovery")):
            operator.begin("PUT", self.ids[side], INSTANCE_VERSION, instance_body(azure, side, licence)).result()
        self.instances = {side: ready_in_arm(operator, self.ids[side]) for side in self.ids}

    @staticmethod
    def other(side):
        return "secondary" if side == "primary" else "primary"

    def path(self, side):
        return f"{self.ids[side]}/failoverGroups/{self.group}"

    def body(self, side, role):
        """What `az sql instance-failover-group-arc create` sends: the partner's id, role and sync mode only."""
        return {"properties": {"partnerManagedInstanceId": self.ids[self.other(side)],
                               "spec": {"role": role, "partnerSyncMode": "async"}}}

    def create(self):
        for side, role in (("primary", "primary"), ("secondary", "secondary")):
            assert self.operator.begin("PUT", self.path(side), FOG_VERSION, self.body(side, role)).result()[
                "properties"]["provisioningState"] == "Succeeded"
        return self

    def get(self, side):
        return self.operator.send("GET", self.path(side), FOG_VERSION).json()

    def crs(self, side):
        """The site's FailoverGroup CRs of this side's instance (found by spec.sourceMI: CR names are UUIDs)."""
        site = self.direct.site(side)
        items = site.custom().list_namespaced_custom_object(GROUP, FOG[1], site.namespace, FOG[0])["items"]
        return [cr for cr in items if cr["spec"].get("sourceMI") == self.names[side]]

    def wait_roles(self, primary, secondary):
        """Both sides' ARM status Succeeded, with these roles, the link connected."""
        def linked(side, role):
            status = self.get(side)["properties"].get("status") or {}
            replicas = status.get("replicas") or []
            return (status.get("state") == "Succeeded" and status.get("role") == role and len(replicas) == 2
                    and all(r["connectedState"] == "CONNECTED" for r in replicas) and status)
        return {side: wait_for(lambda s=side, r=role: linked(s, r), timeout=40,
                               what=f"the {side} side's failover group in ARM to be {role} and connected")
                for side, role in (("primary", primary), ("secondary", secondary))}


@pytest.fixture(scope="module")
def pair(direct, azure, operator):
    return ArmPair(direct, azure, operator).create()


def test_put_on_both_sides_makes_two_uuid_named_crs_that_link(pair):
    pair.wait_roles("Primary", "Secondary")
    for side in ("primary", "secondary"):
        (cr,) = pair.crs(side)
        assert str(uuid.UUID(cr["metadata"]["name"])) == cr["metadata"]["name"]
        partner = pair.instances[pair.other(side)]["properties"]["k8sRaw"]["status"]
        assert cr["spec"]["partnerMirroringCert"] == partner["highAvailability"]["mirroringCertificate"]
        assert cr["spec"]["partnerMirroringURL"] == "tcp://" + partner["endpoints"]["mirroring"]
        assert cr["spec"]["sharedName"] == pair.group and cr["spec"]["partnerMI"] == pair.names[pair.other(side)]
        resource = pair.get(side)
        assert resource["properties"]["spec"] == cr["spec"]
        assert resource["properties"]["metadata"]["name"] == cr["metadata"]["name"]


def test_role_change_by_get_modify_put_flips_both_sites(pair):
    pair.wait_roles("Primary", "Secondary")
    resource = pair.get("primary")
    resource["properties"]["spec"]["role"] = "secondary"
    pair.operator.begin("PUT", pair.path("primary"), FOG_VERSION, resource).result()
    pair.wait_roles("Secondary", "Primary")
    listed = pair.operator.send("GET", f"{pair.ids['secondary']}/failoverGroups", FOG_VERSION).json()["value"]
    assert [r["name"] for r in listed] == [pair.group]


def test_reader_cannot_write_a_failover_group(pair, azure, reader):
    with pytest.raises(HttpResponseError) as raised:
        reader.begin("PUT", pair.path("primary"), FOG_VERSION, pair.body("primary", "primary"))
    error = raised.value.response.json()["error"]
    assert raised.value.status_code == 403 and error["code"] == "AuthorizationFailed"
    assert "'Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/write'" in error["message"]
    assert f"'{pair.path('primary')}'" in error["message"]


def test_api_version_without_failover_groups_is_400(pair):
    """2022-03-01-preview serves instances but predates failover groups."""
    assert pair.operator.send("GET", pair.ids["primary"], "2022-03-01-preview").status_code == 200
    response = pair.operator.send("GET", pair.path("primary"), "2022-03-01-preview")
    assert response.status_code == 400 and response.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_put_with_a_wrong_role_is_400(pair):
    response = pair.operator.send("PUT", pair.path("primary"), FOG_VERSION,
                                  {"properties": {"partnerManagedInstanceId": pair.ids["secondary"],
                                                  "spec": {"role": "leader"}}})
    assert response.status_code == 400 and "role" in response.json()["error"]["message"]


def test_partner_that_is_not_there_fails_the_operation(pair):
    """The service cannot fill the certificate of a partner ARM does not know: the operation Fails, saying why."""
    path = f"{pair.ids['primary']}/failoverGroups/fg-orphan"
    body = {"properties": {"partnerManagedInstanceId": pair.azure.instance_id("secondary", "sql-nowhere"),
                           "spec": {"role": "primary"}}}
    with pytest.raises(HttpResponseError) as raised:
        pair.operator.begin("PUT", path, FOG_VERSION, body).result()
    assert "sql-nowhere" in str(raised.value)
    assert pair.operator.send("GET", path, FOG_VERSION).json()["properties"]["provisioningState"] == "Failed"


def test_kubectl_made_failover_group_stays_unprojected(direct, azure, operator):
    """Resource sync does not project failover groups: ARM lists only the one it made, though the
    kubectl-made CR came first (a watch delivers in order, so the bridge had seen it)."""
    other = ArmPair(direct, azure, operator)
    site = direct.site("primary")
    manual = fog_body(f"manual-{other.group}", site.namespace, sourceMI=other.names["primary"],
                      partnerMI=other.names["secondary"], role="primary")
    site.kubectl("apply", "-f", "-", input=to_yaml(manual))
    other.operator.begin("PUT", other.path("primary"), FOG_VERSION, other.body("primary", "primary")).result()
    wait_for(lambda: other.get("primary")["properties"].get("metadata"), what="the ARM-made group's projection")
    listed = operator.send("GET", f"{other.ids['primary']}/failoverGroups", FOG_VERSION).json()["value"]
    assert [r["name"] for r in listed] == [other.group]
    assert len(other.crs("primary")) == 2


def test_delete_removes_one_sides_cr(direct, azure, operator):
    other = ArmPair(direct, azure, operator).create()
    operator.begin("DELETE", other.path("primary"), FOG_VERSION).result()
    assert other.crs("primary") == []
    assert operator.send("GET", other.path("primary"), FOG_VERSION).status_code == 404
    # delete_cascades is off by default: the partner side is the client's to delete, as `az` does
    assert len(other.crs("secondary")) == 1
    assert other.get("secondary")["name"] == other.group
    operator.begin("DELETE", other.path("secondary"), FOG_VERSION).result()
    assert other.crs("secondary") == []
