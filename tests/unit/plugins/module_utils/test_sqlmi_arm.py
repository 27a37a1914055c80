# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ARM instance: the PUT body built from the spec the indirect path builds, the custom resource it projects,
and the comparison that decides whether a PUT is needed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.arcdata.sqlmi.plugins.module_utils import sqlmi_arm, sqlmi_spec

CUSTOM_LOCATION = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ExtendedLocation/customLocations/cl"


def params(**given):
    found = dict((option, None) for option in ("tier", "replicas", "disaster_recovery_site", "license_type", "dev",
                                               "cores_request", "cores_limit", "memory_request", "memory_limit",
                                               "service_type", "readable_secondaries", "collation",
                                               "admin_login_secret", "labels", "annotations"))
    for volume in sqlmi_spec.STORAGE_VOLUMES:
        found["storage_class_%s" % volume] = found["volume_size_%s" % volume] = None
    found.update(name="sqlprimary", **given)
    return found


def arm_resource(spec, licence="LicenseIncluded", tier="BusinessCritical", status=None):
    """An instance as ARM returns it once the cluster projected it (the CR spec with Arc's defaults)."""
    return {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.AzureArcData/sqlManagedInstances/sqlprimary",
            "name": "sqlprimary", "location": "eastus", "tags": {"owner": "dba"},
            "extendedLocation": {"type": "CustomLocation", "name": CUSTOM_LOCATION},
            "sku": {"name": "vCore", "tier": tier},
            "properties": {"licenseType": licence, "provisioningState": "Succeeded",
                           "basicLoginInformation": {"username": "dbadmin"},
                           "k8sRaw": {"metadata": {"generation": 2, "name": "sqlprimary"}, "spec": spec,
                                      "status": status or {"state": "Ready", "observedGeneration": 2}}}}


def test_a_creation_body_carries_the_spec_the_sku_the_licence_and_the_login():
    spec = sqlmi_spec.desired_spec(params(tier="bc", replicas=3, disaster_recovery_site=True))
    body = sqlmi_arm.instance_body(spec, "eastus", CUSTOM_LOCATION, login=("dbadmin", "Pw-secret-123!"))
    assert body["location"] == "eastus"
    assert body["extendedLocation"] == {"type": "CustomLocation", "name": CUSTOM_LOCATION}
    assert body["sku"] == {"name": "vCore", "tier": "BusinessCritical"}
    assert body["properties"]["licenseType"] == "DisasterRecovery"
    assert body["properties"]["k8sRaw"]["spec"]["replicas"] == 3
    assert body["properties"]["basicLoginInformation"] == {"username": "dbadmin", "password": "Pw-secret-123!"}


def test_the_masked_body_never_holds_the_password():
    body = sqlmi_arm.instance_body({"tier": "GeneralPurpose"}, "eastus", CUSTOM_LOCATION, login=("dbadmin", "Pw-s3cret!"))
    shown = sqlmi_arm.masked(body)
    assert "Pw-s3cret!" not in json.dumps(shown)
    assert shown["properties"]["basicLoginInformation"]["username"] == "dbadmin"
    assert body["properties"]["basicLoginInformation"]["password"] == "Pw-s3cret!"  # the body sent is untouched


def test_the_custom_resource_takes_tier_and_licence_from_arm():
    cr = sqlmi_arm.custom_resource(arm_resource({"tier": "bc", "replicas": 3, "licenseType": "LicenseIncluded"},
                                                licence="BasePrice"))
    assert cr["metadata"]["name"] == "sqlprimary"
    assert cr["spec"]["licenseType"] == "BasePrice"
    assert cr["spec"]["tier"] == "BusinessCritical"
    assert cr["status"]["state"] == "Ready"
    assert sqlmi_arm.custom_resource(None) is None


def test_what_the_instance_already_has_needs_no_put():
    current = arm_resource({"tier": "BusinessCritical", "replicas": 3, "licenseType": "DisasterRecovery",
                            "scheduling": {"default": {"resources": {"requests": {"memory": "4096Mi"}}}}},
                           licence="DisasterRecovery")
    existing = sqlmi_arm.custom_resource(current)
    wanted = sqlmi_spec.desired_spec(params(tier="bc", replicas=3, disaster_recovery_site=True,
                                            memory_request="4Gi"), existing)
    assert sqlmi_arm.changes(wanted, current) is None


def test_a_licence_switch_is_a_full_put_of_the_current_spec():
    current = arm_resource({"tier": "BusinessCritical", "replicas": 3, "licenseType": "DisasterRecovery",
                            "storage": {"data": {"volumes": [{"size": "5Gi"}]}}}, licence="DisasterRecovery")
    wanted = sqlmi_spec.desired_spec(params(license_type="BasePrice"), sqlmi_arm.custom_resource(current))
    assert sqlmi_arm.changes(wanted, current) == {"licenseType": "BasePrice"}
    spec = sqlmi_arm.replacement_spec(wanted, current)
    body = sqlmi_arm.instance_body(spec, current["location"], sqlmi_arm.custom_location_of(current), current=current)
    assert body["properties"]["licenseType"] == "BasePrice"
    assert body["properties"]["k8sRaw"]["spec"]["storage"] == {"data": {"volumes": [{"size": "5Gi"}]}}
    assert body["tags"] == {"owner": "dba"}
    assert "basicLoginInformation" not in body["properties"]


def test_the_dr_licence_is_refused_on_an_existing_instance():
    existing = sqlmi_arm.custom_resource(arm_resource({"tier": "BusinessCritical", "replicas": 3}))
    found = sqlmi_spec.problems(params(disaster_recovery_site=True), existing)
    assert any("creation-time choice" in problem for problem in found)


def test_a_result_never_shows_the_login():
    assert "basicLoginInformation" not in sqlmi_arm.without_login(arm_resource({}))["properties"]
