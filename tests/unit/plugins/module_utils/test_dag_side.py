# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site's DAG state machine (dag_side.py) against an in-memory resource and a scripted controller: every role
transition, the refusals, the withdrawal of an abandoned switch, check mode. No server, no waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dag_side
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ArcError, InvalidInput

SITE = "site ams (context arc-ams)"
ROLE_OF = {"secondary": "Secondary", "force-secondary": "Secondary", "force-primary-allow-data-loss": "Primary",
           "primary": "Primary"}


class FakeDags(object):
    """One FailoverGroup in memory; every write is noted (verb, body, dry_run)."""

    kind = type("Kind", (), {"group": "sql.arcdata.microsoft.com", "qualified": "failovergroups.sql"})()
    version = "v2"

    def __init__(self, obj=None):
        self.obj = obj
        self.writes = []

    def describe(self, name=None):
        return "failovergroups.sql arc/%s" % name

    def get(self, name):
        return copy.deepcopy(self.obj)

    def create(self, body, dry_run=False):
        self.writes.append(("create", body, dry_run))
        obj = dict(copy.deepcopy(body), status={})
        obj["metadata"].update(generation=1, resourceVersion="1")
        if not dry_run:
            self.obj = obj
        return copy.deepcopy(obj)

    def patch(self, name, patch, dry_run=False, recompute=None):
        self.writes.append(("patch", patch, dry_run))
        obj = copy.deepcopy(self.obj)
        before = copy.deepcopy(obj["spec"])
        obj["spec"].update(patch["spec"])
        if obj["spec"] != before:
            obj["metadata"]["generation"] += 1
        if not dry_run:
            self.obj = obj
        return copy.deepcopy(obj)

    def delete(self, name, dry_run=False):
        self.writes.append(("delete", None, dry_run))
        if not dry_run:
            self.obj = None
        return True


class FakeSite(object):
    label, namespace = SITE, "arc"

    def __init__(self, dags, instance=True, licence="DisasterRecovery"):
        self.dags, self.instance, self.licence = dags, instance, licence
        self.controller_checks = 0

    def dag_resources(self, api_kind, api_version, name):
        return "FailoverGroup", self.dags

    def resources(self, kind, pinned_version=None, name=None):
        instance = {"apiVersion": "sql.arcdata.microsoft.com/v13", "kind": "SqlManagedInstance",
                    "metadata": {"name": name, "uid": "uid-1"},
                    "spec": {"licenseType": self.licence}} if self.instance else None
        return type("Instances", (), {"get": staticmethod(lambda unused: instance)})()

    def check_data_controller(self):
        self.controller_checks += 1


class ScriptedSide(dag_side.DagSide):
    """A DagSide whose waits are answered by `controller(obj) -> obj`, what the Arc controller makes of the
    resource; the condition must then hold (or report the controller's failure), as a real wait would end."""

    def __init__(self, site, controller=None, **kwargs):
        super(ScriptedSide, self).__init__(site, "dag-ams", **kwargs)
        self.controller = controller or carry_out
        self.waited = []

    def wait_until(self, condition, obj=None):
        self.waited.append(condition.description)
        obj = self.controller(copy.deepcopy(self.dags.obj))
        self.dags.obj = obj
        failure = condition.failed(obj)
        if failure:
            raise ArcError("%s: %s" % (SITE, failure))
        if not condition.check(obj)[0]:
            raise ArcError("%s: timed out waiting for %s" % (SITE, condition.description))
        return obj


def carry_out(obj):
    """The controller does what the spec asks: the role, connected, Succeeded, the generation observed."""
    if obj is None:
        return None
    obj["status"] = dict(obj.get("status") or {}, role=ROLE_OF[obj["spec"]["role"]], state="Succeeded",
                         observedGeneration=obj["metadata"]["generation"], healthState="OK",
                         replicas=[{"connectedState": "CONNECTED"}, {"connectedState": "CONNECTED"}])
    return obj


def existing(spec_role="primary", status_role="Primary", state="Succeeded", generation=3, observed=3, **spec):
    return {"apiVersion": "sql.arcdata.microsoft.com/v2", "kind": "FailoverGroup",
            "metadata": {"name": "dag-ams", "generation": generation, "resourceVersion": "10"},
            "spec": dict({"sharedName": "payroll-dag", "sourceMI": "sql-ams", "partnerMI": "sql-dub",
                          "partnerMirroringURL": "tcp://10.0.0.2:5022", "partnerSyncMode": "async",
                          "role": spec_role}, **spec),
            "status": {"role": status_role, "state": state, "observedGeneration": observed, "results": ""}}


def side_for(obj, check_mode=False, controller=None, warnings=None, **options):
    dags = FakeDags(obj)
    site = FakeSite(dags)
    warned = warnings if warnings is not None else []
    return ScriptedSide(site, controller=controller, check_mode=check_mode, warn=warned.append, diff=True,
                        **options), dags


def role_change(role, **fields):
    return dict(role=role, **fields)


# -- role transitions --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("desired, status_role, action, after", [
    ("secondary", "Primary", "planned failover", "Secondary"),
    ("force-secondary", "Primary", "forced demotion", "Secondary"),
    ("force-primary-allow-data-loss", "Secondary", "forced failover", "Primary"),
])
def test_a_role_change_is_patched_and_awaited_until_the_controller_reports_the_new_role(desired, status_role,
                                                                                        action, after):
    spec_role = "primary" if status_role == "Primary" else "secondary"
    side, dags = side_for(existing(spec_role, status_role))
    result = side.present(role_change(desired))
    assert dags.writes == [("patch", {"spec": {"role": desired}}, False)]
    assert result["changed"] and result["role"] == after and result["previous_role"] == status_role
    assert result["failover"]["action"] == action and result["failover"]["to_role"] == after
    assert side.waited == ["DAG role %s" % after]
    assert side.site.controller_checks == 1  # the data controller is checked before the write
    assert result["diff"]["before"]["role"] == spec_role and result["diff"]["after"]["role"] == desired


@pytest.mark.parametrize("desired, status_role", [
    ("secondary", "Secondary"), ("force-secondary", "Secondary"),
    ("force-primary-allow-data-loss", "Primary"), ("primary", "Primary"),
])
def test_a_role_the_site_already_has_changes_nothing(desired, status_role):
    side, dags = side_for(existing("primary" if status_role == "Primary" else "secondary", status_role))
    result = side.present(role_change(desired))
    assert dags.writes == [] and not result["changed"] and "failover" not in result


def test_role_primary_on_a_secondary_is_refused_before_any_write():
    side, dags = side_for(existing("secondary", "Secondary"))
    with pytest.raises(InvalidInput) as caught:
        side.present(role_change("primary"))
    assert "role=primary cannot be set on an existing resource whose status.role is Secondary" in caught.value.message
    assert SITE in caught.value.message and dags.writes == []


def test_a_role_while_the_controller_reports_none_other_is_refused():
    side, dags = side_for(existing("secondary", "Resolving"))
    with pytest.raises(InvalidInput) as caught:
        side.present(role_change("force-primary-allow-data-loss"))
    assert "status.role is 'Resolving'" in caught.value.message and dags.writes == []


def test_a_planned_switch_the_controller_still_reports_succeeded_is_explained_not_patched_again():
    # only a Failed state says the controller gave a planned switch up: anything else may still be under way
    side, dags = side_for(existing("secondary", "Primary", state="Succeeded"))
    with pytest.raises(InvalidInput) as caught:
        side.present(role_change("secondary"))
    assert "spec.role is already 'secondary' but status.role is Primary" in caught.value.message
    assert dags.writes == []


@pytest.mark.parametrize("spec_role, status_role, state, withdrawal", [
    ("force-secondary", "Primary", "Succeeded", "primary"),
    ("force-secondary", "Primary", "Failed", "primary"),
    ("force-primary-allow-data-loss", "Secondary", "Succeeded", "secondary"),
])
def test_a_forced_change_the_controller_settled_without_effect_is_withdrawn_and_asked_again(spec_role, status_role,
                                                                                            state, withdrawal):
    warnings = []
    side, dags = side_for(existing(spec_role, status_role, state=state), warnings=warnings, withdraw_abandoned=True)
    result = side.present(role_change(spec_role))
    assert [body for unused, body, unused in dags.writes] == [{"spec": {"role": withdrawal}},
                                                              {"spec": {"role": spec_role}}]
    assert result["role"] == ROLE_OF[spec_role] and "abandoned by the controller, not carried out" in warnings[0]


def test_just_created_without_a_reported_role_changes_nothing():
    obj = existing("primary", None)
    obj["status"] = {}
    side, dags = side_for(obj)
    assert not side.present(role_change("primary"))["changed"] and dags.writes == []


def test_the_sync_mode_is_patched_with_the_forced_role_and_the_role_awaited():
    side, dags = side_for(existing("secondary", "Secondary", partnerSyncMode="sync"))
    side.present(role_change("force-primary-allow-data-loss", sync_mode="async"))
    assert dags.writes[0][1] == {"spec": {"partnerSyncMode": "async", "role": "force-primary-allow-data-loss"}}
    assert side.waited == ["DAG role Primary"]


def test_a_field_change_without_a_role_change_waits_until_applied_or_for_the_link_if_asked():
    side, dags = side_for(existing("primary", "Primary"))
    side.present({"remote_mirroring_url": "tcp://10.0.0.3:5022"})
    assert dags.writes[0][1] == {"spec": {"partnerMirroringURL": "tcp://10.0.0.3:5022"}}
    assert side.waited == ["DAG change applied"]
    side, dags = side_for(existing("primary", "Primary"), wait_condition="connected")
    side.present({"remote_mirroring_url": "tcp://10.0.0.3:5022"})
    assert side.waited == ["DAG connected"]


def test_a_link_the_controller_does_not_report_is_said_to_be_unknown():
    def applied_without_replicas(obj):
        obj["status"] = {"state": "Succeeded", "role": "Primary", "results": "Completed with Succeeded state"}
        return obj
    warnings = []
    side, unused = side_for(existing("primary", "Primary"), controller=applied_without_replicas, warnings=warnings,
                            wait_condition="connected")
    side.present({"remote_mirroring_url": "tcp://10.0.0.3:5022"})
    assert "the controller reports no status.replicas" in warnings[0] and "unknown" in warnings[0]


def test_a_change_applied_with_the_link_down_is_returned_with_the_controllers_words():
    def failed_link(obj):
        obj["status"] = {"state": "Failed", "role": "Primary", "results": "partner endpoint does not answer",
                         "replicas": [{"connectedState": "DISCONNECTED"}]}
        return obj
    warnings = []
    side, unused = side_for(existing("primary", "Primary"), controller=failed_link, warnings=warnings)
    result = side.present({"remote_mirroring_url": "tcp://10.0.0.3:5022"})
    assert result["state"] == "Failed" and "partner endpoint does not answer" in warnings[0]


def test_a_change_still_being_carried_out_is_let_settle_before_deciding():
    # the partner's controller is promoting this side: generation 4 not yet observed; once settled it is Primary
    side, dags = side_for(existing("primary", "Secondary", generation=4, observed=3))
    result = side.present(role_change("force-primary-allow-data-loss"))
    assert side.waited == ["DAG settled"] and dags.writes == [] and not result["changed"]


def test_a_failed_switch_reported_by_the_controller_ends_the_wait_with_its_reason():
    def abandon(obj):
        obj["status"].update(state="Failed", observedGeneration=obj["metadata"]["generation"],
                             results="partner not connected")
        return obj
    side, unused = side_for(existing("primary", "Primary"), controller=abandon)
    with pytest.raises(ArcError) as caught:
        side.present(role_change("secondary"))
    assert "the controller reports Failed: partner not connected" in caught.value.message


# -- an abandoned planned switch ---------------------------------------------------------------------------------
def test_an_abandoned_switch_is_withdrawn_then_asked_for_again_with_a_warning():
    warnings = []
    side, dags = side_for(existing("secondary", "Primary", state="Failed"), warnings=warnings,
                          withdraw_abandoned=True)
    result = side.present(role_change("secondary"))
    assert [body for unused, body, unused in dags.writes] == [{"spec": {"role": "primary"}},
                                                              {"spec": {"role": "secondary"}}]
    assert side.waited == ["DAG settled", "DAG role Secondary"]
    assert result["role"] == "Secondary" and "withdrawing it and asking again" in warnings[0]


def test_an_abandoned_switch_the_controller_will_not_withdraw_fails_with_advice():
    def refuse(obj):
        obj["status"].update(state="Failed", observedGeneration=obj["metadata"]["generation"])
        return obj
    side, dags = side_for(existing("secondary", "Primary", state="Failed"), controller=refuse,
                          withdraw_abandoned=True)
    with pytest.raises(ArcError) as caught:
        side.present(role_change("secondary"))
    assert "could not be withdrawn" in caught.value.message and "role=force-secondary" in caught.value.message
    assert len(dags.writes) == 1


def test_an_abandoned_switch_is_not_withdrawn_unless_the_controller_is_known_to_accept_it():
    """The Arc CLI never writes `primary` on update and Arc does not document it: by default nothing is written,
    and the error names the state and the manual step."""
    side, dags = side_for(existing("secondary", "Primary", state="Failed"))
    with pytest.raises(ArcError) as caught:
        side.present(role_change("secondary"))
    message = caught.value.message
    assert "spec.role 'secondary', status.role Primary, state Failed" in message
    assert "withdraw_abandoned_switch=true" in message and "recreate this site's DAG resource" in message
    assert dags.writes == []


def test_an_abandoned_switch_in_check_mode_is_reported_not_withdrawn():
    warnings = []
    side, dags = side_for(existing("secondary", "Primary", state="Failed"), check_mode=True, warnings=warnings,
                          withdraw_abandoned=True)
    result = side.present(role_change("secondary"))
    assert dags.writes == [] and result["changed"] and "check mode: not withdrawn" in warnings[0]


# -- check mode, creation, deletion ------------------------------------------------------------------------------
def test_check_mode_sends_a_dry_run_and_does_not_wait():
    side, dags = side_for(existing("primary", "Primary"), check_mode=True)
    result = side.present(role_change("secondary"))
    assert dags.writes == [("patch", {"spec": {"role": "secondary"}}, True)] and side.waited == []
    assert result["changed"] and "failover" not in result and dags.obj["spec"]["role"] == "primary"


WANTED = {"dag_name": "payroll-dag", "local_instance": "sql-ams", "remote_instance": "sql-dub",
          "remote_mirroring_url": "tcp://10.0.0.2:5022", "remote_mirroring_cert": None, "role": "primary",
          "sync_mode": None}


def test_creation_needs_every_field_and_writes_nothing_without_them():
    side, dags = side_for(None)
    with pytest.raises(InvalidInput) as caught:
        side.present(dict(WANTED))
    assert "remote_mirroring_cert or remote_mirroring_cert_file is required" in caught.value.message
    assert dags.writes == []


def test_creation_is_owned_by_the_instance_and_awaited_until_applied(certs):
    side, dags = side_for(None)
    result = side.present(dict(WANTED, remote_mirroring_cert=certs.certificate("sql-dub-svc")))
    verb, body, dry_run = dags.writes[0]
    assert verb == "create" and not dry_run and body["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    assert body["spec"]["role"] == "primary" and side.waited == ["DAG change applied"] and result["changed"]
    assert result["diff"]["after"]["partnerMirroringCert"].startswith("certificate ")


def test_creation_without_the_local_instance_is_refused(certs):
    side, dags = side_for(None)
    side.site.instance = False
    with pytest.raises(InvalidInput) as caught:
        side.present(dict(WANTED, remote_mirroring_cert=certs.certificate("sql-dub-svc")))
    assert "local_instance 'sql-ams' does not exist in namespace 'arc' on %s" % SITE in caught.value.message
    assert dags.writes == []


def test_absent_deletes_and_waits_until_gone():
    side, dags = side_for(existing())
    side.controller = lambda obj: None
    result = side.absent()
    assert dags.writes == [("delete", None, False)] and side.waited == ["deleted"] and result["changed"]


def test_absent_when_already_gone_changes_nothing():
    side, dags = side_for(None)
    assert not side.absent()["changed"] and dags.writes == []


@pytest.mark.parametrize("role, licence, warned", [("secondary", "LicenseIncluded", True),
                                                   ("secondary", "DisasterRecovery", False),
                                                   ("primary", "LicenseIncluded", False)])
def test_a_dr_side_whose_instance_lacks_the_dr_licence_is_created_with_a_warning(certs, role, licence, warned):
    warnings = []
    side, dags = side_for(None, warnings=warnings)
    side.site.licence = licence
    side.present(dict(WANTED, role=role, remote_mirroring_cert=certs.certificate("sql-dub-svc")))
    assert dags.writes[0][0] == "create"
    assert any("not DisasterRecovery" in w and "--license-type DisasterRecovery" in w for w in warnings) is warned
