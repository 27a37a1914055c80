# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr_setup_pending: a pair set up as asked has nothing pending (dr_setup then writes nothing and skips its
roles); every difference arc_sqlmi, arc_mirroring_cert or arc_dag would act on is pending, naming the site."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.arcdata.sqlmi.plugins.filter.dr_setup import dr_setup_pending

REQUESTED = {"tier": "bc", "replicas": 3, "cores_request": "2", "cores_limit": "2", "memory_request": "4Gi",
             "memory_limit": "4Gi", "volume_size_data": "5Gi", "volume_size_logs": "5Gi"}
# an instance as Arc stores it after arc_sqlmi created it with REQUESTED (quantities in Arc's own spelling)
INSTANCE_SPEC = {
    "tier": "BusinessCritical", "replicas": 3, "licenseType": "LicenseIncluded", "dev": False,
    "scheduling": {"default": {"resources": {"requests": {"cpu": "2", "memory": "4096Mi"},
                                             "limits": {"cpu": "2000m", "memory": "4Gi"}}}},
    "storage": {"data": {"volumes": [{"className": "standard", "size": "5Gi"}]},
                "logs": {"volumes": [{"className": "standard", "size": "5Gi"}]}},
    "security": {"adminLoginSecret": "sql-login-secret"},
}


def site(name, partner, days=400):
    return {
        "site": name, "reachable": True, "error": None, "data_controller_problem": None,
        "instance_name": "sql" + name, "dag_name": "dagtest", "dag_resource": "dag" + name, "sync_mode": "async",
        "requested_spec": dict(REQUESTED),
        "instance": {"name": "sql" + name, "state": "Ready", "ready": True, "spec": copy.deepcopy(INSTANCE_SPEC),
                     "mirroring_url": "tcp://%s.example:5022" % name,
                     "certificate": {"fingerprint_sha256": "FP-" + name, "days_remaining": days}},
        "dag": {"name": "dag" + name, "dag_name": "dagtest", "local_instance": "sql" + name,
                "remote_instance": "sql" + partner, "remote_mirroring_url": "tcp://%s.example:5022" % partner,
                "sync_mode": "async", "role": "Primary" if name == "primary" else "Secondary", "state": "Succeeded",
                "connected": True, "linked": True, "generation": 2, "observed_generation": 2,
                "partner_certificate": {"fingerprint_sha256": "FP-" + partner}},
    }


def pair():
    return [site("primary", "secondary"), site("secondary", "primary")]


def test_a_pair_set_up_as_asked_has_nothing_pending():
    assert dr_setup_pending(pair()) == []


def test_replicas_given_as_text_as_an_inventory_may_give_them():
    sites = pair()
    sites[0]["requested_spec"]["replicas"] = "3"
    assert dr_setup_pending(sites) == []


def test_a_warning_threshold_given_as_text_counts_as_its_number():
    # as ansible-core 2.16 renders "{{ dr_certificates_warn_days }}": text
    sites = [site("primary", "secondary", days=20), site("secondary", "primary", days=40)]
    assert dr_setup_pending(sites, warn_days="30") == dr_setup_pending(sites, warn_days=30) == \
        ["site primary (sqlprimary): its mirroring certificate expires in 20 days (warning from 30)"]


@pytest.mark.parametrize("change, expected", [
    (lambda s: s["requested_spec"].update(memory_limit="8Gi"), "the instance spec differs from the requested one "
                                                               "in ['scheduling']"),
    (lambda s: s["requested_spec"].update(volume_size_logs="10Gi"), "differs from the requested one in ['storage']"),
    (lambda s: s["requested_spec"].update(collation="Latin1_General_100_CI_AS"), "in ['settings']"),
    (lambda s: s["requested_spec"].update(tier="gp", replicas=1), "the requested spec is refused by arc_sqlmi"),
    (lambda s: s.update(instance=None), "the instance does not exist"),
    (lambda s: s["instance"].update(state="Updating", ready=False), "the instance is Updating, not Ready"),
    (lambda s: s.update(dag=None), "the DAG resource dagprimary does not exist"),
    # `linked` is what dag_summary says of these (conditions.linked_for_its_generation)
    (lambda s: s["dag"].update(connected=False, linked=False), "the DAG side is Succeeded, not connected"),
    (lambda s: s["dag"].update(state="Failed", linked=False), "the DAG side is Failed, connected"),
    (lambda s: s["dag"].update(observed_generation=1, linked=False), "the DAG side is Succeeded, connected"),
    (lambda s: s["dag"].update(sync_mode="sync"), "differs in sync_mode"),
    (lambda s: s.update(sync_mode="sync"), "differs in sync_mode"),
    (lambda s: s.update(dag_name="other"), "differs in dag_name"),
    (lambda s: s["dag"].update(remote_mirroring_url="tcp://old.example:5022"), "differs in remote_mirroring_url"),
    (lambda s: s["dag"].update(partner_certificate={"fingerprint_sha256": "FP-rotated"}),
     "differs in the partner certificate it pins"),
    (lambda s: s["instance"]["certificate"].update(days_remaining=12), "expires in 12 days (warning from 30)"),
    (lambda s: s.update(reachable=False), "not readable or not writable"),
    (lambda s: s.update(data_controller_problem="direct connection mode"), "not readable or not writable"),
])
def test_each_difference_is_pending_and_names_the_site(change, expected):
    sites = pair()
    change(sites[0])
    found = dr_setup_pending(sites)
    assert any(reason.startswith("site primary (sqlprimary): ") and expected in reason for reason in found), found


def test_the_partner_sees_a_rotated_certificate_of_its_partner():
    sites = pair()
    sites[1]["instance"]["certificate"]["fingerprint_sha256"] = "FP-secondary-new"
    assert dr_setup_pending(sites) == ["site primary (sqlprimary): the DAG resource dagprimary differs in the "
                                       "partner certificate it pins"]


def test_instances_that_differ_from_each_other_in_what_is_not_asked_for_are_pending():
    sites = pair()
    sites[1]["instance"]["spec"]["settings"] = {"collation": "Latin1_General_100_CI_AS"}
    found = dr_setup_pending(sites)
    assert len(found) == 1 and found[0].startswith("collation differs"), found


def test_a_role_variable_set_for_the_pair_is_pending():
    found = dr_setup_pending(pair(), overridden=["dr_dag_remote_instance", "dr_dag_remote_instance"])
    assert found == ["dr_dag_remote_instance is set for the pair: the roles decide what it changes"]


def test_a_pair_without_two_reports_is_pending():
    assert dr_setup_pending(pair()[:1]) == ["the pair has 1 site reports, not 2"]


def test_any_variable_of_the_roles_set_for_the_pair_sends_it_through_the_roles_but_waits_and_thresholds_do_not():
    found = dr_setup_pending(pair(), variables=["arc_instance", "dr_site_spec", "dr_dag_new_option_of_tomorrow",
                                                "dr_site_wait_timeout", "dr_certificates_min_days",
                                                "dr_certificates_warn_days", "dr_failover_mode"])
    assert found == ["dr_dag_new_option_of_tomorrow is set for the pair: the roles decide what it changes",
                     "dr_site_spec is set for the pair: the roles decide what it changes"], found
