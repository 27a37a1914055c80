# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_sqlmi_info and arc_dag_info with wait: which condition they wait for, that check mode and a read without wait
do not wait, and that what they return is the object the wait ended on. The waits themselves (watch, timeout, a site
that dies) are test_waiting.py's, and the modules' against a live sandbox tests/integration/test_info_module_waits.py's.
Also: the info-wait options and their doc fragment are a pair, like the writers' wait options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

import pytest

from ansible_collections.arcdata.sqlmi.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.arcdata.sqlmi.plugins.module_utils import connection, instance_summary, waiting
from ansible_collections.arcdata.sqlmi.plugins.modules import arc_dag_info, arc_sqlmi_info
from ansible_collections.arcdata.sqlmi.plugins.module_utils.transport import INDIRECT, ModeChoice


def instance(state, observed, generation=2):
    return {"metadata": {"name": "sqlmi-dr", "generation": generation, "resourceVersion": "7"},
            "spec": {"tier": "BusinessCritical", "replicas": 3},
            "status": {"state": state, "observedGeneration": observed}}


def dag(state, role, observed=1, connected=True):
    replicas = [{"connectedState": "CONNECTED" if connected else "DISCONNECTED"}] * 2
    return {"metadata": {"name": "dag-dr", "generation": 1, "resourceVersion": "9"},
            "spec": {"sharedName": "dag", "sourceMI": "sqlmi-dr", "partnerMI": "sqlmi-pr", "role": "secondary"},
            "status": {"state": state, "role": role, "observedGeneration": observed, "replicas": replicas}}


class FakeResources(object):
    version = "v2"

    def __init__(self, obj):
        self.obj = obj

    def get(self, name):
        return self.obj


class FakeArc(object):
    def __init__(self, obj, check_mode=False, **params):
        self.params = dict(name="x", api_version=None, api_kind="auto",
                           wait=False, wait_timeout=600)
        self.params.update(params)
        self.check_mode = check_mode
        self.found = FakeResources(obj)

    def connect(self):
        return self

    def connect_either(self, timeout=600):
        """An indirect-mode site, as the transport choice gives it for a Kubernetes API."""
        self.connect()
        return ModeChoice(INDIRECT, "a test site")

    def resources(self, kind, pinned_version=None, name=None):
        return self.found

    def dag_resources(self, api_kind="auto", pinned_version=None, name=None):
        return "FailoverGroup", self.found


class Waits(object):
    """Stands in for waiting.wait_for_timed: records each wait asked for and ends it on `answer` (the object the wait
    ended on), or on the object it started from."""

    UNSET = object()

    def __init__(self):
        self.calls, self.answer = [], self.UNSET

    def wait_for_timed(self, resources, name, condition, timeout, obj=None):
        self.calls.append({"name": name, "condition": condition, "timeout": timeout, "obj": obj})
        return (obj if self.answer is self.UNSET else self.answer), 4.2


@pytest.fixture
def waits(monkeypatch):
    recorder = Waits()
    monkeypatch.setattr(waiting, "wait_for_timed", recorder.wait_for_timed)
    return recorder


def test_sqlmi_info_without_wait_reads_once_and_reports_ready_by_generation(waits):
    result = arc_sqlmi_info.run(FakeArc(instance("Ready", 1)))
    assert waits.calls == []
    assert "waited" not in result
    assert result["instances"][0]["ready"] is False  # Ready, but for generation 1 of 2
    assert arc_sqlmi_info.run(FakeArc(instance("Ready", 2)))["instances"][0]["ready"] is True


@pytest.mark.parametrize("wait_condition, met_by, unmet_by", [
    ("ready", instance("Ready", 2), instance("Ready", 1)),
    ("absent", None, instance("Ready", 2)),
])
def test_sqlmi_info_waits_for_the_named_condition(waits, wait_condition, met_by, unmet_by):
    waits.answer = met_by
    result = arc_sqlmi_info.run(FakeArc(instance("Creating", None), name="sqlmi-dr", wait=True, wait_timeout=30,
                                        wait_condition=wait_condition))
    (call,) = waits.calls
    assert (call["name"], call["timeout"]) == ("sqlmi-dr", 30)
    assert call["obj"] == instance("Creating", None)  # the wait starts from the read, not from a second one
    assert call["condition"].check(met_by)[0] and not call["condition"].check(unmet_by)[0]
    assert result["waited"] == 4.2
    assert result["instances"] == ([instance_summary.summarize(met_by)] if met_by else [])


def test_sqlmi_info_does_not_wait_in_check_mode(waits):
    result = arc_sqlmi_info.run(FakeArc(instance("Creating", None), check_mode=True, wait=True,
                                        wait_condition="ready"))
    assert waits.calls == []
    assert "waited" not in result
    assert result["instances"][0]["state"] == "Creating"


@pytest.mark.parametrize("wait_condition, met_by, unmet_by", [
    ("connected", dag("Succeeded", "Secondary"), dag("Succeeded", "Secondary", connected=False)),
    ("primary", dag("Succeeded", "Primary"), dag("Succeeded", "Secondary")),
    ("secondary", dag("Succeeded", "Secondary"), dag("Updating", "Secondary")),
    ("absent", None, dag("Succeeded", "Secondary")),
])
def test_dag_info_waits_for_the_named_condition(waits, wait_condition, met_by, unmet_by):
    waits.answer = met_by
    result = arc_dag_info.run(FakeArc(dag("Updating", "Secondary", observed=0), name="dag-dr", wait=True,
                                      wait_timeout=10, wait_condition=wait_condition))
    (call,) = waits.calls
    assert (call["name"], call["timeout"]) == ("dag-dr", 10)
    assert call["condition"].check(met_by)[0] and not call["condition"].check(unmet_by)[0]
    assert result["waited"] == 4.2
    assert [d["role"] for d in result["dags"]] == ([met_by["status"]["role"]] if met_by else [])


def test_dag_info_reports_linked_by_the_same_rule(waits):
    linked = arc_dag_info.run(FakeArc(dag("Succeeded", "Primary")))["dags"][0]
    stale = arc_dag_info.run(FakeArc(dag("Succeeded", "Primary", observed=0)))["dags"][0]
    assert (linked["linked"], linked["connected"]) == (True, True)
    assert (stale["linked"], stale["connected"]) == (False, True)
    assert waits.calls == []


def test_dag_info_does_not_wait_in_check_mode(waits):
    result = arc_dag_info.run(FakeArc(dag("Updating", "Secondary"), check_mode=True, wait=True,
                                      wait_condition="connected"))
    assert waits.calls == [] and "waited" not in result


def test_info_wait_options_and_their_doc_fragment_are_a_pair():
    documented = yaml.safe_load(ModuleDocFragment.INFO_WAIT)["options"]
    assert sorted(documented) == sorted(connection.INFO_WAIT_ARGS)
    for name, spec in connection.INFO_WAIT_ARGS.items():
        assert (documented[name]["type"], documented[name]["default"]) == (spec["type"], spec["default"])
    assert connection.INFO_WAIT_ARGS["wait"]["default"] is False  # the info modules read unless asked to wait
