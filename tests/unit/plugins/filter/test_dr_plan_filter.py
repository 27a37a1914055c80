# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr_site_problems: the `plan` check (what the two sites are asked to become), a data controller the writing
modules would refuse, and a site that failed earlier in the run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.arcdata.sqlmi.plugins.filter import dr

SPEC = {"tier": "bc", "replicas": 3, "cores_request": "2", "memory_limit": "4Gi", "volume_size_data": "5Gi",
        "collation": "SQL_Latin1_General_CP1_CI_AS"}
COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(dr.__file__))))


def report(site, role, spec=None, sync_mode="async", **extra):
    values = {"site": site, "instance_name": "sql" + site, "dag_name": "dag", "reachable": True, "instance": None,
              "dag": None, "initial_role": role, "sync_mode": sync_mode, "requested_spec": dict(SPEC, **(spec or {}))}
    values.update(extra)
    return values


def plan(first, second):
    return dr.dr_site_problems([first, second], checks=["plan"])


def test_a_good_plan_has_no_problem():
    assert plan(report("primary", "primary"), report("secondary", "secondary")) == []


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_two_sites_with_the_same_initial_role(role):
    found = plan(report("primary", role), report("secondary", role))
    assert found == ["site primary (sqlprimary) and site secondary (sqlsecondary) both have initial role %r "
                     "(arc_initial_role): one site of a pair must be primary and the other secondary" % role]


def test_sync_modes_that_differ():
    found = plan(report("primary", "primary"), report("secondary", "secondary", sync_mode="sync"))
    assert found == ["sync mode (arc_sync_mode) differs: site primary (sqlprimary) has 'async', site secondary "
                     "(sqlsecondary) has 'sync'; both sides of a DAG commit the same way (async or sync)"]


@pytest.mark.parametrize("option, mine, theirs, label", [
    ("tier", "bc", "gp", "tier"), ("replicas", 3, 2, "replicas"), ("cores_request", "2", "4", "cores request"),
    ("cores_limit", "2", None, "cores limit"), ("memory_request", "4Gi", "8Gi", "memory request"),
    ("memory_limit", "4Gi", "8Gi", "memory limit"), ("volume_size_data", "5Gi", "10Gi", "data volume size"),
    ("volume_size_backups", None, "20Gi", "backups volume size"),
    ("collation", "SQL_Latin1_General_CP1_CI_AS", "Latin1_General_100_CI_AS", "collation"),
])
def test_each_parity_difference_names_both_sites_and_values(option, mine, theirs, label):
    spec_of = {"tier": lambda v: {"tier": v, "replicas": 1 if v == "gp" else 3}}.get(option, lambda v: {option: v})
    found = plan(report("primary", "primary", spec_of(mine)), report("secondary", "secondary", spec_of(theirs)))
    # a tier brings its replica count (gp runs 1): that difference is reported too
    assert len(found) == (2 if option == "tier" else 1), found
    assert found[0].startswith("%s differs: site primary (sqlprimary) asks for " % label), found
    for value in (mine, theirs):
        shown = "no %s" % option if value is None else "%s=%s" % (option, value)
        if option == "tier":
            shown = "tier=%s" % {"bc": "BusinessCritical", "gp": "GeneralPurpose"}[value]
        assert shown in found[0], found
    assert "site secondary (sqlsecondary)" in found[0]


def test_the_same_request_written_differently_is_no_difference():
    first = report("primary", "primary", {"tier": "BusinessCritical", "replicas": "3", "memory_limit": "4096Mi"})
    second = report("secondary", "secondary", {"tier": "bc", "replicas": None})  # bc alone means 3 replicas
    assert plan(first, second) == []


def test_the_plan_is_not_judged_without_requests():
    bare = {"initial_role": None, "sync_mode": None, "requested_spec": None}
    assert plan(report("primary", "primary", **bare), report("secondary", "secondary", **bare)) == []


def test_a_data_controller_the_writing_modules_refuse_is_a_reachable_problem():
    refused = "context arc-secondary (https://127.0.0.2:6443): no Arc data controller in namespace 'default'"
    found = dr.dr_site_problems([report("primary", "primary"),
                                 report("secondary", "secondary", data_controller_problem=refused)],
                                checks=["reachable"])
    assert found == ["site secondary (sqlsecondary): " + refused]


def test_a_site_gone_earlier_in_the_run_is_a_problem_whatever_the_checks():
    found = dr.dr_site_problems([report("primary", "primary")], checks=[], gone=["secondary"])
    assert found == ["site secondary stopped earlier in this run (its error is above): nothing is written to a pair "
                     "while one of its sites is missing"]


def _spec_options(role, option):
    with open(os.path.join(COLLECTION, "roles", role, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"][option]["options"]


def test_the_preflight_validates_exactly_the_options_dr_site_passes_on():
    passed = _spec_options("dr_site", "dr_site_spec")
    assert _spec_options("dr_preflight", "dr_preflight_spec") == passed
    with open(os.path.join(COLLECTION, "roles", "dr_site", "tasks", "main.yml")) as handle:
        used = set(re.findall(r"dr_site_spec\.([a-z_]+)", handle.read()))
    assert used == set(passed)
    assert set(option for dummy, option, dummy, dummy in dr.PARITY) <= set(passed)
