# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ARM failover group: the creation and replacement bodies, the custom resource it projects (which conditions.py
and dag_summary.py read unchanged), and the partner it names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, dag_summary, failover_group_arm

MI = "/subscriptions/s/resourceGroups/%s/providers/Microsoft.AzureArcData/sqlManagedInstances/%s"
PARTNER = MI % ("rg-dr", "sqldr")


def arm_failover_group(spec=None, status=None, generation=3, name="fog1"):
    """A failover group as ARM returns it once the cluster projected its custom resource."""
    return {"id": (MI % ("rg", "sqlpr")) + "/failoverGroups/" + name, "name": name,
            "type": "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups",
            "properties": {"provisioningState": "Succeeded", "partnerManagedInstanceId": PARTNER,
                           "metadata": {"name": "5f0c7c9e-uuid", "generation": generation,
                                        "annotations": {"management.azure.com/resourceId": "x"}},
                           "spec": spec if spec is not None else {
                               "sharedName": "dag1", "sourceMI": "sqlpr", "partnerMI": "sqldr", "role": "primary",
                               "partnerSyncMode": "async", "partnerMirroringURL": "tcp://10.0.0.2:5022"},
                           "status": status if status is not None else {
                               "state": "Succeeded", "role": "Primary", "observedGeneration": generation,
                               "lastUpdateTime": "2026-01-01T00:00:00.000000Z",
                               "replicas": [{"connectedState": "CONNECTED", "synchronizationState": "HEALTHY"}]}}}


def test_a_creation_sends_both_instances_the_role_the_sync_mode_and_only_what_is_given():
    body = failover_group_arm.creation_body(PARTNER, {"role": "primary", "local_instance": "sqlpr",
                                                      "remote_instance": "sqldr", "dag_name": None,
                                                      "remote_mirroring_url": None, "remote_mirroring_cert": None,
                                                      "sync_mode": None})
    assert body == {"properties": {"partnerManagedInstanceId": PARTNER,
                                   "spec": {"role": "primary", "partnerSyncMode": "async", "sourceMI": "sqlpr",
                                            "partnerMI": "sqldr"}}}


def test_a_creation_sends_the_shared_name_url_and_certificate_when_given():
    spec = failover_group_arm.creation_body(PARTNER, {"role": "secondary", "dag_name": "dag1", "sync_mode": "sync",
                                                      "remote_mirroring_url": "tcp://h:5022",
                                                      "remote_mirroring_cert": "PEM"})["properties"]["spec"]
    assert spec == {"role": "secondary", "sharedName": "dag1", "partnerSyncMode": "sync",
                    "partnerMirroringURL": "tcp://h:5022", "partnerMirroringCert": "PEM"}


def test_a_change_puts_the_whole_resource_with_the_fields_laid_over():
    resource = arm_failover_group()
    body = failover_group_arm.replacement_body(resource, {"role": "secondary"})
    assert body["properties"]["partnerManagedInstanceId"] == PARTNER
    assert body["properties"]["spec"] == dict(resource["properties"]["spec"], role="secondary")
    assert "status" not in body["properties"] and "provisioningState" not in body["properties"]
    assert resource["properties"]["spec"]["role"] == "primary"  # the resource read is left as it was


def test_the_custom_resource_is_named_by_arm_and_keeps_the_generated_name():
    obj = failover_group_arm.custom_resource(arm_failover_group(), "sqlpr")
    assert obj["metadata"]["name"] == "fog1" and obj["metadata"]["crName"] == "5f0c7c9e-uuid"
    assert obj["metadata"]["generation"] == 3
    assert obj["status"]["role"] == "Primary"
    assert failover_group_arm.custom_resource(None) is None


def test_the_instances_come_from_the_url_and_the_partner_id_where_the_service_left_them_out():
    obj = failover_group_arm.custom_resource(arm_failover_group(spec={"role": "primary"}), "sqlpr")
    fields = failover_group_arm.current_fields(obj)
    assert (fields["local_instance"], fields["remote_instance"]) == ("sqlpr", "sqldr")


def test_the_conditions_read_the_projected_status():
    settled = failover_group_arm.custom_resource(arm_failover_group(), "sqlpr")
    assert conditions.linked_for_its_generation(settled) is True
    behind = failover_group_arm.custom_resource(arm_failover_group(
        status={"state": "Succeeded", "role": "Primary", "observedGeneration": 2}), "sqlpr")
    assert conditions.linked_for_its_generation(behind) is False  # observedGeneration 2 of 3


def test_a_role_wait_counts_only_a_status_written_after_the_change_when_no_generation_is_reported():
    before = {"state": "Succeeded", "role": "Primary", "lastUpdateTime": "2026-01-01T00:00:00Z"}
    written = failover_group_arm.custom_resource(arm_failover_group(status=before), "sqlpr")
    written["metadata"].pop("generation")
    condition = conditions.dag_role("Secondary", written)
    stale = failover_group_arm.custom_resource(arm_failover_group(status=dict(before, role="Secondary")), "sqlpr")
    stale["status"] = dict(before)
    assert not condition.check(stale)[0]
    later = failover_group_arm.custom_resource(arm_failover_group(status=dict(
        before, role="Secondary", lastUpdateTime="2026-01-01T00:00:05Z")), "sqlpr")
    assert condition.check(later)[0]


def test_the_summary_has_the_indirect_keys_the_arm_id_and_no_handover_without_a_record():
    obj = failover_group_arm.custom_resource(arm_failover_group(), "sqlpr")
    summary = dag_summary.summarize_arm(obj, "/id")
    assert set(dag_summary.summarize(obj, "FailoverGroup")) <= set(summary)
    assert summary["handover"] is None and summary["resource_id"] == "/id"
    assert (summary["role"], summary["connected"], summary["linked"]) == ("Primary", True, True)


def test_the_summary_shows_the_latest_of_the_annotation_and_the_instance_tag():
    obj = failover_group_arm.custom_resource(arm_failover_group(), "sqlpr")
    older = {"time": "2026-01-01T00:00:00.000000Z", "mode": "planned", "outcome": "succeeded"}
    newer = {"time": "2026-01-02T00:00:00.000000Z", "mode": "failback", "outcome": "succeeded"}
    assert dag_summary.summarize_arm(obj, "/id", tag_record=newer)["handover"] == newer
    obj["metadata"]["annotations"] = {"arcdata.sqlmi/handover": json.dumps(newer)}
    assert dag_summary.summarize_arm(obj, "/id", tag_record=older)["handover"] == newer


def test_the_partner_cannot_change():
    resource = arm_failover_group()
    assert failover_group_arm.partner_problem(resource, "sqldr", "rg-dr") is None
    assert "cannot change its partner" in failover_group_arm.partner_problem(resource, "other", None)
    assert "resource group 'rg-dr'" in failover_group_arm.partner_problem(resource, None, "rg-x")
