# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import sqlmi_spec

PASSWORD = "N0t-a-Real-Secret!"


def params(**given):
    values = {"name": "sqlmi-primary"}
    values.update(given)
    return values


def existing(**spec):
    """An instance as `az sql mi-arc create --tier bc` leaves it (and the controller defaults)."""
    values = {"tier": "BusinessCritical", "replicas": 3, "licenseType": "LicenseIncluded",
              "backup": {"retentionPeriodInDays": 7},
              "scheduling": {"default": {"resources": {"requests": {"cpu": "2", "memory": "4Gi"},
                                                       "limits": {"cpu": "4", "memory": "8Gi"}}}},
              "storage": {"data": {"volumes": [{"className": "default", "size": "5Gi"}]},
                          "logs": {"volumes": [{"className": "default", "size": "5Gi"}]}},
              "security": {"adminLoginSecret": "sqlmi-primary-login-secret"}}
    values.update(spec)
    return {"metadata": {"name": "sqlmi-primary", "generation": 1}, "spec": values}


# -- tier and replicas --------------------------------------------------------------------------

@pytest.mark.parametrize("tier, replicas, expected", [
    (None, None, ("GeneralPurpose", 1)),
    ("gp", None, ("GeneralPurpose", 1)),
    ("GeneralPurpose", None, ("GeneralPurpose", 1)),
    ("bc", None, ("BusinessCritical", 3)),  # the CLI: bc without replicas is 3
    ("BusinessCritical", None, ("BusinessCritical", 3)),
    (None, 3, ("BusinessCritical", 3)),  # replicas without a tier imply it
    (None, 2, ("BusinessCritical", 2)),
    (None, 1, ("GeneralPurpose", 1)),
    ("bc", 2, ("BusinessCritical", 2)),
    ("gp", 3, ("GeneralPurpose", 3)),  # resolved as asked; problems() refuses it
])
def test_resolve_tier_and_replicas_like_the_cli(tier, replicas, expected):
    assert sqlmi_spec.resolve_tier_and_replicas(params(tier=tier, replicas=replicas)) == expected


def test_resolve_takes_what_the_options_leave_out_from_the_instance():
    spec = existing(replicas=2)["spec"]
    assert sqlmi_spec.resolve_tier_and_replicas(params(), spec) == ("BusinessCritical", 2)
    assert sqlmi_spec.resolve_tier_and_replicas(params(replicas=3), spec) == ("BusinessCritical", 3)
    assert sqlmi_spec.resolve_tier_and_replicas(params(), {"tier": "bc"}) == ("BusinessCritical", 3)


def test_resolve_an_instance_without_tier_is_general_purpose():
    """Arc defaults spec.tier to GeneralPurpose (immutable_problems assumes the same): replicas=3 on such an
    instance is a GeneralPurpose instance asked for 3 replicas, which problems() must refuse before any write."""
    spec = {"replicas": 1}
    assert sqlmi_spec.resolve_tier_and_replicas(params(replicas=3), spec) == ("GeneralPurpose", 3)
    found = sqlmi_spec.problems(params(replicas=3), {"spec": spec})
    assert any("replicas=3 is not allowed with tier GeneralPurpose" in problem for problem in found)


@pytest.mark.parametrize("value, expected", [("gp", "GeneralPurpose"), ("GP", "GeneralPurpose"),
                                             ("generalpurpose", "GeneralPurpose"), ("bc", "BusinessCritical"),
                                             ("BusinessCritical", "BusinessCritical"), ("premium", None),
                                             (None, None)])
def test_canonical_tier(value, expected):
    assert sqlmi_spec.canonical_tier(value) == expected


# -- problems -----------------------------------------------------------------------------------

@pytest.mark.parametrize("given", [
    {"tier": "bc", "replicas": 3},
    {"tier": "bc", "replicas": 2, "readable_secondaries": 1},
    {"tier": "gp"},
    {"disaster_recovery_site": True, "tier": "bc"},
    {"disaster_recovery_site": True, "license_type": "DisasterRecovery"},
    {"disaster_recovery_site": False, "license_type": "BasePrice"},
    {"cores_request": "2", "cores_limit": "4", "memory_request": "2Gi", "memory_limit": "8Gi"},
    {"cores_request": "4", "cores_limit": "4000m", "memory_request": "4096Mi", "memory_limit": "4Gi"},
    {"volume_size_data": "10Gi", "volume_size_logs": "5Gi", "volume_size_datalogs": "5Gi",
     "volume_size_backups": "20Gi"},
])
def test_problems_none_for_good_options(given):
    assert sqlmi_spec.problems(params(**given)) == []


@pytest.mark.parametrize("name", ["SqlMi", "1sqlmi", "sqlmi-", "sql_mi", "sql.mi", "-sqlmi", "a" * 61])
def test_problems_instance_name(name):
    found = sqlmi_spec.problems(params(name=name))
    assert found == ["name %r is not a valid instance name: at most 60 characters of lowercase letters, digits "
                     "and '-', starting with a letter and ending with a letter or digit" % name]


@pytest.mark.parametrize("name", ["a", "sqlmi-primary", "a" * 60, "sql1-2mi"])
def test_problems_good_instance_names(name):
    assert sqlmi_spec.problems(params(name=name)) == []


@pytest.mark.parametrize("replicas", [2, 3])
def test_problems_general_purpose_runs_one_replica(replicas):
    assert sqlmi_spec.problems(params(tier="gp", replicas=replicas)) == [
        "replicas=%d is not allowed with tier GeneralPurpose (gp): it runs exactly 1 replica" % replicas]


@pytest.mark.parametrize("replicas", [1, 4, 0])
def test_problems_business_critical_runs_two_or_three(replicas):
    found = sqlmi_spec.problems(params(tier="BusinessCritical", replicas=replicas))
    assert "replicas=%d is not allowed with tier BusinessCritical (bc): use 2 or 3" % replicas in found


@pytest.mark.parametrize("given, bound", [
    ({"tier": "bc", "readable_secondaries": 3}, 2),
    ({"tier": "bc", "replicas": 2, "readable_secondaries": 2}, 1),
    ({"tier": "gp", "readable_secondaries": 1}, 0),
    ({"tier": "bc", "readable_secondaries": -1}, 2),
])
def test_problems_readable_secondaries_range(given, bound):
    assert sqlmi_spec.problems(params(**given)) == [
        "readable_secondaries=%s must be between 0 and replicas - 1 (%d)" % (given["readable_secondaries"], bound)]


@pytest.mark.parametrize("secondaries", [0, 1, 2])
def test_problems_readable_secondaries_in_range(secondaries):
    assert sqlmi_spec.problems(params(tier="bc", readable_secondaries=secondaries)) == []


@pytest.mark.parametrize("option, value", [("cores_request", "two"), ("cores_limit", "4 cores"),
                                           ("memory_request", "4GB"), ("memory_limit", "lots")])
def test_problems_quantities(option, value):
    found = sqlmi_spec.problems(params(**{option: value}))
    assert found == ["%s=%r is not a Kubernetes quantity (e.g. '2' or '500m' for cores, '4Gi' for memory)"
                     % (option, value)]


@pytest.mark.parametrize("value", ["500m", "1.5", "0", "1500m"])
def test_problems_cores_request_minimum(value):
    assert sqlmi_spec.problems(params(cores_request=value)) == [
        "cores_request=%r must be a whole number of at least 1" % value]


@pytest.mark.parametrize("value", ["1", "1000m", "2", 4])
def test_problems_cores_request_whole_numbers(value):
    assert sqlmi_spec.problems(params(cores_request=value)) == []


@pytest.mark.parametrize("value", ["1Gi", "2047Mi", "2G", "1000000"])
def test_problems_memory_request_minimum(value):
    assert sqlmi_spec.problems(params(memory_request=value)) == ["memory_request=%r must be at least 2Gi" % value]


@pytest.mark.parametrize("value", ["2Gi", "2048Mi", "3G"])
def test_problems_memory_request_enough(value):
    assert sqlmi_spec.problems(params(memory_request=value)) == []


def test_problems_request_above_limit():
    assert sqlmi_spec.problems(params(cores_request="4", cores_limit="2")) == [
        "cores_request='4' is above cores_limit='2'"]
    assert sqlmi_spec.problems(params(memory_request="8Gi", memory_limit="4096Mi")) == [
        "memory_request='8Gi' is above memory_limit='4096Mi'"]


@pytest.mark.parametrize("license_type", ["LicenseIncluded", "BasePrice"])
def test_problems_disaster_recovery_site_contradicting_license_type(license_type):
    found = sqlmi_spec.problems(params(disaster_recovery_site=True, license_type=license_type))
    assert found == ["disaster_recovery_site=true means license_type DisasterRecovery, but license_type is %r; "
                     "drop one of the two" % license_type]


def test_problems_not_disaster_recovery_site_but_disaster_recovery_licence():
    assert sqlmi_spec.problems(params(disaster_recovery_site=False, license_type="DisasterRecovery")) == [
        "disaster_recovery_site=false contradicts license_type=DisasterRecovery"]


def test_problems_volume_sizes():
    assert sqlmi_spec.problems(params(volume_size_backups="20 GB")) == [
        "volume_size_backups='20 GB' is not a Kubernetes quantity such as '5Gi'"]


def test_problems_reports_everything_at_once():
    found = sqlmi_spec.problems(params(name="Bad_Name", tier="gp", replicas=3, cores_request="500m",
                                       memory_request="1Gi", disaster_recovery_site=True, license_type="BasePrice",
                                       volume_size_data="big"))
    assert len(found) == 6


# -- immutable tier and licence -----------------------------------------------------------------

@pytest.mark.parametrize("tier", ["bc", "BusinessCritical", "BUSINESSCRITICAL", None])
@pytest.mark.parametrize("stored", ["BusinessCritical", "bc"])
def test_immutable_same_tier_in_any_form(tier, stored):
    assert sqlmi_spec.immutable_problems(params(tier=tier), existing(tier=stored)) == []
    assert sqlmi_spec.problems(params(tier=tier), existing(tier=stored)) == []


@pytest.mark.parametrize("tier", ["gp", "GeneralPurpose"])
def test_immutable_tier_change_refused(tier):
    found = sqlmi_spec.problems(params(tier=tier, replicas=1), existing())
    assert found == ["tier cannot change after creation: instance 'sqlmi-primary' is BusinessCritical, the task "
                     "asks for GeneralPurpose (%s)" % tier]


def test_immutable_tier_of_an_instance_without_tier_is_general_purpose():
    found = sqlmi_spec.immutable_problems(params(tier="bc"), {"spec": {}})
    assert found == ["tier cannot change after creation: instance 'sqlmi-primary' is GeneralPurpose, the task asks "
                     "for BusinessCritical (bc)"]


def test_disaster_recovery_site_is_a_creation_time_choice():
    found = sqlmi_spec.problems(params(disaster_recovery_site=True), existing())
    assert found == ["disaster_recovery_site=true is a creation-time choice: instance 'sqlmi-primary' exists with "
                     "licence type LicenseIncluded (to switch its licence, as after a failover, use license_type)"]


@pytest.mark.parametrize("current, wanted", [("DisasterRecovery", "BasePrice"), ("DisasterRecovery", "LicenseIncluded"),
                                             ("BasePrice", "DisasterRecovery")])
def test_the_licence_switch_after_a_failover_and_back_is_allowed(current, wanted):
    assert sqlmi_spec.problems(params(license_type=wanted), existing(licenseType=current)) == []
    assert sqlmi_spec.desired_spec(params(license_type=wanted), existing(licenseType=current))["licenseType"] == wanted


def test_immutable_licence_defaults_to_licence_included():
    instance = existing()
    del instance["spec"]["licenseType"]
    assert sqlmi_spec.immutable_problems(params(license_type="LicenseIncluded"), instance) == []
    assert len(sqlmi_spec.immutable_problems(params(disaster_recovery_site=True), instance)) == 1


def test_immutable_same_licence_and_unasked_licence():
    dr = existing(licenseType="DisasterRecovery")
    assert sqlmi_spec.immutable_problems(params(disaster_recovery_site=True), dr) == []
    assert sqlmi_spec.immutable_problems(params(), dr) == []


def test_immutable_contradiction_reported_once():
    found = sqlmi_spec.problems(params(disaster_recovery_site=True, license_type="BasePrice"), existing())
    assert len(found) == 1 and found[0].startswith("disaster_recovery_site=true means")


# -- desired_spec -------------------------------------------------------------------------------

def test_desired_spec_at_creation_has_the_cli_defaults():
    assert sqlmi_spec.desired_spec(params(tier="bc")) == {
        "tier": "BusinessCritical", "replicas": 3, "licenseType": "LicenseIncluded",
        "backup": {"retentionPeriodInDays": 7},
        "storage": {"data": {"volumes": [{"size": "5Gi"}]}, "logs": {"volumes": [{"size": "5Gi"}]}},
        "security": {"adminLoginSecret": "sqlmi-primary-login-secret"}}


def test_desired_spec_at_creation_of_a_disaster_recovery_site():
    spec = sqlmi_spec.desired_spec(params(name="sqlmi-dr", tier="bc", replicas=3, disaster_recovery_site=True))
    assert spec["licenseType"] == "DisasterRecovery"
    assert spec["tier"] == "BusinessCritical" and spec["replicas"] == 3
    assert spec["security"] == {"adminLoginSecret": "sqlmi-dr-login-secret"}


def test_desired_spec_at_creation_with_every_option():
    spec = sqlmi_spec.desired_spec(params(
        replicas=2, license_type="BasePrice", dev=True, readable_secondaries=1, cores_request="2", cores_limit=4,
        memory_request="4Gi", memory_limit="8Gi", volume_size_data="20Gi", storage_class_logs="fast",
        storage_class_backups="nfs", volume_size_backups="50Gi", service_type="LoadBalancer",
        collation="Latin1_General_100_CI_AS", admin_login_secret="custom-admin"))
    assert spec == {
        "tier": "BusinessCritical", "replicas": 2, "licenseType": "BasePrice", "dev": True, "readableSecondaries": 1,
        "backup": {"retentionPeriodInDays": 7},
        "scheduling": {"default": {"resources": {"requests": {"cpu": "2", "memory": "4Gi"},
                                                 "limits": {"cpu": "4", "memory": "8Gi"}}}},
        "storage": {"data": {"volumes": [{"size": "20Gi"}]},
                    "logs": {"volumes": [{"size": "5Gi", "className": "fast"}]},
                    "backups": {"volumes": [{"className": "nfs", "size": "50Gi"}]}},
        "services": {"primary": {"type": "LoadBalancer"}},
        "settings": {"collation": "Latin1_General_100_CI_AS"},
        "security": {"adminLoginSecret": "custom-admin"}}


def test_desired_spec_does_not_change_the_defaults():
    before = copy.deepcopy(sqlmi_spec.CREATE_DEFAULTS)
    sqlmi_spec.desired_spec(params(volume_size_data="20Gi", storage_class_data="fast"))
    assert sqlmi_spec.CREATE_DEFAULTS == before


def test_desired_spec_at_update_has_only_the_given_fields():
    wanted = sqlmi_spec.desired_spec(params(cores_limit="8", memory_limit="16Gi"), existing())
    assert set(wanted) - {"security"} == {"scheduling"}
    assert wanted["scheduling"] == {"default": {"resources": {"limits": {"cpu": "8", "memory": "16Gi"}}}}
    assert "tier" not in wanted and "replicas" not in wanted and "licenseType" not in wanted


def test_desired_spec_at_update_with_tier_and_replicas():
    wanted = sqlmi_spec.desired_spec(params(tier="bc", replicas=2), existing())
    assert wanted["tier"] == "BusinessCritical" and wanted["replicas"] == 2
    assert "backup" not in wanted and "storage" not in wanted


def test_rerun_with_only_the_name_changes_nothing_on_an_instance_with_another_login_secret():
    """An instance whose spec.security.adminLoginSecret is not '<name>-login-secret' (created from YAML, or with
    admin_login_secret earlier): a task that does not mention the secret must not repoint it."""
    instance = existing(security={"adminLoginSecret": "legacy-admin"})
    wanted = sqlmi_spec.desired_spec(params(cores_limit="8"), instance)
    assert sqlmi_spec.spec_patch(wanted, instance["spec"]) == {
        "scheduling": {"default": {"resources": {"limits": {"cpu": "8"}}}}}
    assert sqlmi_spec.spec_patch(sqlmi_spec.desired_spec(params(), instance), instance["spec"]) is None


def test_rerun_of_the_creation_options_changes_nothing():
    given = params(tier="bc", replicas=3, cores_request="2", cores_limit="4", memory_request="4Gi",
                   memory_limit="8Gi")
    instance = existing()
    assert sqlmi_spec.spec_patch(sqlmi_spec.desired_spec(given, instance), instance["spec"]) is None


# -- spec_patch ---------------------------------------------------------------------------------

def test_spec_patch_none_when_only_units_differ():
    current = existing()["spec"]
    wanted = {"tier": "bc", "replicas": 3,
              "scheduling": {"default": {"resources": {"requests": {"cpu": "2000m", "memory": "4096Mi"},
                                                       "limits": {"cpu": 4, "memory": "8192Mi"}}}}}
    assert sqlmi_spec.spec_patch(wanted, current) is None


def test_spec_patch_is_minimal():
    current = existing()["spec"]
    wanted = {"tier": "BusinessCritical", "replicas": 2,
              "scheduling": {"default": {"resources": {"requests": {"cpu": "2", "memory": "4Gi"},
                                                       "limits": {"cpu": "4", "memory": "16Gi"}}}},
              "settings": {"collation": "Latin1_General_100_CI_AS"}}
    assert sqlmi_spec.spec_patch(wanted, current) == {
        "replicas": 2,
        "scheduling": {"default": {"resources": {"limits": {"memory": "16Gi"}}}},
        "settings": {"collation": "Latin1_General_100_CI_AS"}}


def test_spec_patch_of_a_missing_section():
    assert sqlmi_spec.spec_patch({"services": {"primary": {"type": "NodePort"}}}, {}) == {
        "services": {"primary": {"type": "NodePort"}}}
    assert sqlmi_spec.spec_patch({"services": {"primary": {"type": "NodePort"}}}, {"services": "odd"}) == {
        "services": {"primary": {"type": "NodePort"}}}


def test_spec_patch_tier_forms_are_equal():
    assert sqlmi_spec.spec_patch({"tier": "gp"}, {"tier": "GeneralPurpose"}) is None
    assert sqlmi_spec.spec_patch({"tier": "bc"}, {"tier": "GeneralPurpose"}) == {"tier": "bc"}


def test_spec_patch_volume_of_the_same_size_is_no_change():
    """The instance's volume also has a className (the CLI and the controller fill it in): volume_size_data=5Gi
    on a 5Gi volume must change nothing."""
    current = existing()["spec"]
    assert sqlmi_spec.spec_patch({"storage": {"data": {"volumes": [{"size": "5Gi"}]}}}, current) is None


def test_spec_patch_volume_units_only_is_no_change():
    current = existing()["spec"]
    assert sqlmi_spec.spec_patch({"storage": {"data": {"volumes": [{"size": "5120Mi"}]}}}, current) is None


def test_spec_patch_volume_without_other_fields():
    current = {"storage": {"data": {"volumes": [{"size": "5Gi"}]}}}
    assert sqlmi_spec.spec_patch({"storage": {"data": {"volumes": [{"size": "5Gi"}]}}}, current) is None
    assert sqlmi_spec.spec_patch({"storage": {"data": {"volumes": [{"size": "6Gi"}]}}}, current) == {
        "storage": {"data": {"volumes": [{"size": "6Gi"}]}}}


def test_spec_patch_volume_keeps_the_other_volume_fields():
    """A merge patch replaces a list whole: the patched volume must keep the fields the task did not name."""
    current = existing()["spec"]
    assert sqlmi_spec.spec_patch({"storage": {"data": {"volumes": [{"size": "10Gi"}]}}}, current) == {
        "storage": {"data": {"volumes": [{"className": "default", "size": "10Gi"}]}}}


def test_spec_patch_volume_of_a_new_section():
    assert sqlmi_spec.spec_patch({"storage": {"backups": {"volumes": [{"size": "20Gi"}]}}}, existing()["spec"]) == {
        "storage": {"backups": {"volumes": [{"size": "20Gi"}]}}}


# -- merge --------------------------------------------------------------------------------------

def test_merge_one_volume_list_keeps_other_volume_fields():
    base = {"storage": {"data": {"volumes": [{"className": "default", "size": "5Gi", "accessMode": "RWO"}]}}}
    merged = sqlmi_spec.merge(base, {"storage": {"data": {"volumes": [{"size": "10Gi"}]}}})
    volume = {"className": "default", "size": "10Gi", "accessMode": "RWO"}
    assert merged == {"storage": {"data": {"volumes": [volume]}}}


def test_merge_keeps_further_volumes_and_copies_the_overlay():
    overlay = {"volumes": [{"size": "10Gi"}], "other": {"a": [1]}}
    merged = sqlmi_spec.merge({"volumes": [{"size": "5Gi", "className": "x"}, {"size": "1Gi"}]}, overlay)
    assert merged == {"volumes": [{"size": "10Gi", "className": "x"}, {"size": "1Gi"}], "other": {"a": [1]}}
    merged["other"]["a"].append(2)
    assert overlay["other"]["a"] == [1]


def test_merge_of_dicts_and_replaced_values():
    assert sqlmi_spec.merge({"a": {"b": 1, "c": 2}, "d": [1, 2]}, {"a": {"c": 3}, "d": [3]}) == {
        "a": {"b": 1, "c": 3}, "d": [3]}
    assert sqlmi_spec.merge({"volumes": []}, {"volumes": [{"size": "1Gi"}]}) == {"volumes": [{"size": "1Gi"}]}


# -- metadata, secrets, credentials -------------------------------------------------------------

def test_metadata_patch_only_what_differs():
    current = {"labels": {"team": "dba", "env": "prod"}, "annotations": {"note": "x"}}
    assert sqlmi_spec.metadata_patch(params(labels={"team": "dba"}), current) is None
    assert sqlmi_spec.metadata_patch(params(labels={"team": "ops", "env": "prod"}, annotations={"note": "y"}),
                                     current) == {"labels": {"team": "ops"}, "annotations": {"note": "y"}}
    assert sqlmi_spec.metadata_patch(params(labels={"new": "1"}), {}) == {"labels": {"new": "1"}}


def test_admin_secret_name():
    assert sqlmi_spec.admin_secret_name(params()) == "sqlmi-primary-login-secret"
    assert sqlmi_spec.admin_secret_name(params(admin_login_secret="custom")) == "custom"


def test_secret_body_and_values_round_trip():
    body = sqlmi_spec.secret_body("sqlmi-primary-login-secret", "arcadmin", PASSWORD)
    assert body["metadata"] == {"name": "sqlmi-primary-login-secret",
                                "labels": {"app.kubernetes.io/managed-by": "arcdata.sqlmi"}}
    assert base64.b64decode(body["data"]["password"]).decode("utf-8") == PASSWORD
    assert PASSWORD not in str(body)
    assert sqlmi_spec.secret_values(body) == ("arcadmin", PASSWORD)  # read back, the Secret is this dict


def test_secret_values_of_incomplete_secrets():
    secret = {"data": {"username": base64.b64encode(b"arcadmin").decode("ascii"), "password": "%%% not base64"}}
    assert sqlmi_spec.secret_values(secret) == ("arcadmin", None)
    assert sqlmi_spec.secret_values({"metadata": {"name": "empty"}}) == (None, None)
    assert sqlmi_spec.secret_values(None) == (None, None)


@pytest.mark.parametrize("username", ["sa", "SA", ""])
def test_credential_problems_username(username):
    assert sqlmi_spec.credential_problems(username, PASSWORD) == ["admin_username must be set and must not be 'sa'"]


@pytest.mark.parametrize("password", ["Sh0rt!", "alllowercaseletters", "lowercase1234", "Ab1!xyz",
                                      "ONLYUPPER12345"])
def test_credential_problems_weak_password_is_not_echoed(password):
    found = sqlmi_spec.credential_problems("arcadmin", password)
    assert found == ["admin_password must have at least 8 characters from 3 of: lowercase, uppercase, digits, "
                     "symbols (its value is not shown)"]
    assert password not in " ".join(found)


def test_credential_problems_password_containing_the_username():
    password = "Xarcadmin#2024"
    found = sqlmi_spec.credential_problems("ArcAdmin", password)
    assert found == ["admin_password must not contain admin_username"]
    assert password not in " ".join(found)


def test_credential_problems_none_for_good_or_missing_credentials():
    assert sqlmi_spec.credential_problems("arcadmin", PASSWORD) == []
    assert sqlmi_spec.credential_problems(None, None) == []
    assert sqlmi_spec.credential_problems("arcadmin", None) == []
    assert sqlmi_spec.credential_problems(None, "lower-UPPER-123") == []
