# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dag_spec

LAYOUTS = ["FailoverGroup", "Dag"]
STATUS_ROLES = ["Primary", "Secondary"]


@pytest.fixture
def fields(valid_pem):
    """The seed's walk-through, primary site."""
    return {"dag_name": "dagtest", "local_instance": "sqlmi-primary", "remote_instance": "sqlmi-dr",
            "remote_mirroring_url": "tcp://10.20.5.20:5022", "remote_mirroring_cert": valid_pem,
            "sync_mode": "async", "role": "primary"}


def params(**overrides):
    """arc_dag's options for a creation that passes every check."""
    values = {"name": "dagprimary", "dag_name": "dagtest", "local_instance": "sqlmi-primary",
              "remote_instance": "sqlmi-dr", "remote_mirroring_url": "tcp://10.20.5.20:5022",
              "remote_mirroring_cert": "-----BEGIN CERTIFICATE-----\n...", "role": "primary", "sync_mode": None}
    values.update(overrides)
    return values


# -- to_spec / from_spec ------------------------------------------------------------------------

def test_to_spec_failover_group(fields, valid_pem):
    assert dag_spec.to_spec(fields, "FailoverGroup") == {
        "sharedName": "dagtest", "sourceMI": "sqlmi-primary", "partnerMI": "sqlmi-dr",
        "partnerMirroringURL": "tcp://10.20.5.20:5022", "partnerMirroringCert": valid_pem,
        "partnerSyncMode": "async", "role": "primary"}


def test_to_spec_dag_nests_under_input_and_has_no_sync_mode(fields, valid_pem):
    assert dag_spec.to_spec(fields, "Dag") == {"input": {
        "dagName": "dagtest", "localName": "sqlmi-primary", "remoteName": "sqlmi-dr",
        "remoteEndpoint": "tcp://10.20.5.20:5022", "remotePublicCert": valid_pem, "role": "primary"}}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_to_spec_leaves_out_missing_fields(layout):
    spec = dag_spec.to_spec({"role": "secondary", "remote_mirroring_url": None, "sync_mode": None}, layout)
    assert spec == ({"role": "secondary"} if layout == "FailoverGroup" else {"input": {"role": "secondary"}})


@pytest.mark.parametrize("layout", LAYOUTS)
def test_from_spec_inverts_to_spec(fields, layout):
    assert dag_spec.from_spec(dag_spec.to_spec(fields, layout), layout) == fields


def test_from_spec_dag_is_always_async(fields):
    fields["sync_mode"] = "sync"
    assert dag_spec.from_spec(dag_spec.to_spec(fields, "Dag"), "Dag")["sync_mode"] == "async"


def test_from_spec_failover_group(valid_pem):
    spec = {"sharedName": "dagtest", "sourceMI": "sqlmi-dr", "partnerMI": "sqlmi-primary",
            "partnerMirroringURL": "tcp://10.10.5.10:5022", "partnerMirroringCert": valid_pem,
            "partnerSyncMode": "sync", "role": "secondary", "somethingElse": "ignored"}
    assert dag_spec.from_spec(spec, "FailoverGroup") == {
        "dag_name": "dagtest", "local_instance": "sqlmi-dr", "remote_instance": "sqlmi-primary",
        "remote_mirroring_url": "tcp://10.10.5.10:5022", "remote_mirroring_cert": valid_pem,
        "sync_mode": "sync", "role": "secondary"}


def test_from_spec_failover_group_shared_name_defaults_to_source_mi():
    values = dag_spec.from_spec({"sourceMI": "sqlmi-primary", "partnerMI": "sqlmi-dr"}, "FailoverGroup")
    assert values["dag_name"] == "sqlmi-primary"
    assert dag_spec.from_spec({"sourceMI": "a", "sharedName": ""}, "FailoverGroup")["dag_name"] == "a"
    assert dag_spec.from_spec({}, "FailoverGroup")["dag_name"] is None


@pytest.mark.parametrize("flag, role", [(True, "primary"), (False, "secondary")])
def test_from_spec_dag_legacy_is_local_primary(flag, role):
    spec = {"input": {"dagName": "dagtest", "localName": "sqlmi-primary", "remoteName": "sqlmi-dr",
                      "remoteEndpoint": "tcp://10.20.5.20:5022", "remotePublicCert": "x", "isLocalPrimary": flag}}
    values = dag_spec.from_spec(spec, "Dag")
    assert values["role"] == role
    assert values["dag_name"] == "dagtest"
    assert values["sync_mode"] == "async"


def test_from_spec_dag_role_wins_over_is_local_primary():
    spec = {"input": {"role": "force-secondary", "isLocalPrimary": True}}
    assert dag_spec.from_spec(spec, "Dag")["role"] == "force-secondary"


def test_from_spec_dag_without_input():
    values = dag_spec.from_spec({}, "Dag")
    assert values == {"dag_name": None, "local_instance": None, "remote_instance": None,
                      "remote_mirroring_url": None, "remote_mirroring_cert": None, "role": None, "sync_mode": "async"}


# -- changed_fields -----------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_changed_fields_ignores_crlf_in_certificates(fields, valid_pem, layout):
    stored = dict(fields, remote_mirroring_cert=valid_pem.replace("\n", "\r\n"))
    current = dag_spec.from_spec(dag_spec.to_spec(stored, layout), layout)
    assert dag_spec.changed_fields(fields, current) == []
    stored_lf = dict(fields, remote_mirroring_cert=valid_pem.strip())
    assert dag_spec.changed_fields(dict(fields, remote_mirroring_cert=valid_pem.replace("\n", "\r\n")),
                                   stored_lf) == []


def test_changed_fields_ignores_case_of_sync_mode(fields):
    current = dict(fields, sync_mode="Async")
    assert dag_spec.changed_fields(fields, current) == []
    assert dag_spec.changed_fields(dict(fields, sync_mode="SYNC"), dict(fields, sync_mode="sync")) == []


def test_changed_fields_reports_real_differences(fields, certs):
    other_cert = certs.certificate("another-partner")
    current = dict(fields, remote_mirroring_url="tcp://10.20.5.21:5022", remote_mirroring_cert=other_cert,
                   sync_mode="sync")
    assert dag_spec.changed_fields(fields, current) == ["remote_mirroring_url", "remote_mirroring_cert", "sync_mode"]


def test_changed_fields_never_reports_role_and_ignores_unasked_fields(fields):
    current = dict(fields, role="secondary")
    assert dag_spec.changed_fields(fields, current) == []
    wanted = {"dag_name": None, "local_instance": "sqlmi-primary", "remote_mirroring_url": None, "role": "primary"}
    assert dag_spec.changed_fields(wanted, dict(fields, remote_mirroring_url="tcp://elsewhere:1")) == []


def test_changed_fields_shared_name_default(fields):
    """An existing FailoverGroup without sharedName has the dag_name of its sourceMI."""
    current = dag_spec.from_spec({"sourceMI": "sqlmi-primary"}, "FailoverGroup")
    assert dag_spec.changed_fields({"dag_name": "sqlmi-primary"}, current) == []
    assert dag_spec.changed_fields({"dag_name": "dagtest"}, current) == ["dag_name"]


def test_changed_fields_does_not_fold_case_of_names(fields):
    assert dag_spec.changed_fields(dict(fields, dag_name="DagTest"), fields) == ["dag_name"]


# -- role_action --------------------------------------------------------------------------------

@pytest.mark.parametrize("desired, status_role, action", [
    ("secondary", "Primary", "planned failover"),
    ("secondary", "Secondary", None),
    ("force-secondary", "Primary", "forced demotion"),
    ("force-secondary", "Secondary", None),
    ("force-primary-allow-data-loss", "Secondary", "forced failover"),
    ("force-primary-allow-data-loss", "Primary", None),
    ("primary", "Primary", None),
])
def test_role_action(desired, status_role, action):
    assert dag_spec.role_action(desired, status_role) == (action, None)


def test_every_role_has_an_answer_for_every_settled_status_role():
    for desired in dag_spec.ROLES:
        for status_role in STATUS_ROLES:
            action, refusal = dag_spec.role_action(desired, status_role)
            assert action is None or refusal is None
            if (desired, status_role) != ("primary", "Secondary"):
                assert refusal is None, (desired, status_role)


def test_role_action_refuses_primary_on_an_existing_secondary():
    action, refusal = dag_spec.role_action("primary", "Secondary")
    assert action is None
    assert "role=primary cannot be set on an existing resource whose status.role is Secondary" in refusal
    assert "role=secondary on the partner" in refusal
    assert "force-primary-allow-data-loss" in refusal


@pytest.mark.parametrize("desired", ["secondary", "force-secondary", "force-primary-allow-data-loss"])
@pytest.mark.parametrize("status_role", [None, "Unknown", "Resolving", "primary", ""])
def test_role_action_refuses_to_change_an_unsettled_role(desired, status_role):
    action, refusal = dag_spec.role_action(desired, status_role)
    assert action is None
    assert "status.role is %r (not Primary or Secondary)" % status_role in refusal
    assert "wait until the controller settles" in refusal


@pytest.mark.parametrize("status_role", [None, "Unknown", "Resolving"])
def test_role_action_refuses_primary_on_an_unsettled_role(status_role):
    action, refusal = dag_spec.role_action("primary", status_role)
    assert action is None
    assert refusal.startswith("role=primary cannot be set on an existing resource")


@pytest.mark.parametrize("status_role", STATUS_ROLES + [None, "Unknown"])
def test_role_action_without_a_desired_role(status_role):
    assert dag_spec.role_action(None, status_role) == (None, None)


# -- problems -----------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_problems_none_for_the_seed_parameters(layout):
    assert dag_spec.problems(params(), True, layout) == []
    assert dag_spec.problems(params(role="secondary", name="dagsecondary"), True, layout) == []


@pytest.mark.parametrize("name", ["dagPrimary", "-dag", "dag-", "dag_primary", "dag primary", "", "a" * 254])
def test_problems_invalid_resource_name(name):
    found = dag_spec.problems(params(name=name), False, "FailoverGroup")
    assert len(found) == 1
    assert found[0].startswith("name %r is not a valid Kubernetes resource name" % name)


def test_problems_resource_name_of_the_seed_says_how_to_write_it():
    found = dag_spec.problems(params(name="dagPrimary"), False, "FailoverGroup")
    assert "'dagprimary'" in found[0]


@pytest.mark.parametrize("name", ["dagprimary", "dag-primary", "dag.primary", "0dag", "a" * 253])
def test_problems_valid_resource_names(name):
    assert dag_spec.problems(params(name=name), False, "FailoverGroup") == []


@pytest.mark.parametrize("option", ["local_instance", "remote_instance"])
@pytest.mark.parametrize("value", ["SqlMi", "1sqlmi", "sqlmi-", "sql_mi", "sql.mi", "a" * 61])
def test_problems_invalid_instance_names(option, value):
    found = dag_spec.problems(params(**{option: value}), False, "FailoverGroup")
    assert found == ["%s=%r is not a valid instance name: lowercase letters, digits and '-', starting with a letter, "
                     "at most 60 characters" % (option, value)]


def test_problems_instance_name_of_60_characters_is_fine():
    assert dag_spec.problems(params(local_instance="a" * 60), False, "FailoverGroup") == []


def test_problems_identical_local_and_remote():
    found = dag_spec.problems(params(remote_instance="sqlmi-primary"), False, "FailoverGroup")
    assert found == ["local_instance and remote_instance are both 'sqlmi-primary': the two sites' instances must "
                     "have different names"]


@pytest.mark.parametrize("url", [
    "10.20.5.20:5022",  # missing tcp://
    "http://10.20.5.20:5022",
    "tcp://10.20.5.20",  # missing port
    "tcp://10.20.5.20:",
    "tcp://:5022",
    "tcp://10.20.5.20:0",
    "tcp://10.20.5.20:70000",
    "tcp://10.20.5.20:65536",
    "tcp://10.20.5.20:5022/",
    "tcp://fd00::1:5022",  # IPv6 without brackets
    "tcp://host name:5022",
    "tcp://10.20.5.20:123456",
])
def test_problems_bad_mirroring_urls(url):
    found = dag_spec.problems(params(remote_mirroring_url=url), False, "FailoverGroup")
    assert found == ["remote_mirroring_url=%r must be tcp://<host>:<port>, the partner instance's "
                     "status.endpoints.mirroring with tcp:// in front (e.g. tcp://10.20.5.20:5022)" % url]


@pytest.mark.parametrize("url", ["tcp://10.20.5.20:5022", "tcp://sqlmi-dr.arc.svc.cluster.local:5022",
                                 "tcp://[fd00::1]:5022", "tcp://[::1]:1", "tcp://host:65535"])
def test_problems_good_mirroring_urls(url):
    assert dag_spec.problems(params(remote_mirroring_url=url), False, "FailoverGroup") == []


@pytest.mark.parametrize("missing", ["dag_name", "local_instance", "remote_instance", "remote_mirroring_url", "role"])
def test_problems_creation_needs_every_field(missing):
    found = dag_spec.problems(params(**{missing: None}), True, "FailoverGroup")
    assert found == ["%s is required to create the DAG resource 'dagprimary'" % missing]


def test_problems_creation_needs_the_partner_certificate():
    found = dag_spec.problems(params(remote_mirroring_cert=None), True, "FailoverGroup")
    assert found == ["remote_mirroring_cert or remote_mirroring_cert_file is required to create the DAG resource "
                     "'dagprimary': the partner instance's mirroring certificate (PEM)"]


def test_problems_update_needs_nothing():
    empty = {"name": "dagprimary"}
    assert dag_spec.problems(empty, False, "FailoverGroup") == []
    assert len(dag_spec.problems(empty, True, "FailoverGroup")) == 6


@pytest.mark.parametrize("role", ["force-primary-allow-data-loss", "force-secondary"])
def test_problems_role_not_accepted_at_creation(role):
    assert dag_spec.problems(params(role=role), True, "FailoverGroup") == [
        "role=%r is not accepted at creation: use primary or secondary" % role]
    assert dag_spec.problems(params(role=role), False, "FailoverGroup") == []


@pytest.mark.parametrize("sync_mode", ["sync", "SYNC"])
def test_problems_sync_mode_on_the_dag_layout(sync_mode):
    assert dag_spec.problems(params(sync_mode=sync_mode), True, "Dag") == [
        "sync_mode=%r is not available with the legacy Dag resource (2022 era): it is always async" % sync_mode]
    assert dag_spec.problems(params(sync_mode="sync"), True, "FailoverGroup") == []
    assert dag_spec.problems(params(sync_mode="async"), True, "Dag") == []


def test_problems_reports_everything_at_once():
    found = dag_spec.problems(params(name="dagPrimary", remote_instance="sqlmi-primary", remote_mirroring_url="x",
                                     remote_mirroring_cert=None, role="force-secondary", sync_mode="sync"),
                              True, "Dag")
    assert len(found) == 6
