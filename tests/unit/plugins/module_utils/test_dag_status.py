# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A DAG side's status as the controllers seen in public sources write it: the 2022 dumps (state, results, role,
lastUpdateTime only), the 2025 model (healthState, replicas, message) and the emulator's rich one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dag_status

DUMP_2022 = {"metadata": {"generation": 1}, "status": {
    "lastUpdateTime": "2022-05-01T10:00:00.8Z", "results": "", "role": "primary", "state": "succeeded"}}
SAMPLE_2025 = {"metadata": {"generation": 2}, "status": {
    "state": "Failed", "role": "Unknown", "healthState": "OK", "message": "",
    "results": "Completed with Failed state for DistributedAgStateMachine",
    "replicas": [{"connectedState": "CONNECTED", "synchronizationState": "HEALTHY"},
                 {"connectedState": "CONNECTED", "synchronizationState": "HEALTHY"}]}}


def test_words_are_read_without_regard_to_case():
    assert (dag_status.state(DUMP_2022), dag_status.role(DUMP_2022)) == ("succeeded", "Primary")
    assert dag_status.role({"status": {"role": "SECONDARY"}}) == "Secondary"
    assert dag_status.role({"status": {}}) is None and dag_status.state(None) is None


def test_the_link_is_unknown_where_no_replicas_are_reported():
    assert dag_status.link(DUMP_2022) is None
    assert dag_status.link(SAMPLE_2025) is True
    assert dag_status.link({"status": {"replicas": [{"connectedState": "DISCONNECTED"}]}}) is False
    assert dag_status.healthy(DUMP_2022) is None and dag_status.healthy(SAMPLE_2025) is True


def test_the_2025_sample_is_a_transient_failure_not_an_outcome():
    assert dag_status.transient_failure(SAMPLE_2025)
    assert not dag_status.transient_failure({"status": {"state": "Failed", "role": "Unknown"}})  # link unknown


def test_the_cause_is_the_message_then_the_results():
    assert dag_status.cause({"status": {"message": "certificate mismatch", "results": "opaque"}}) == \
        "certificate mismatch; opaque"
    assert dag_status.cause(DUMP_2022) is None


@pytest.mark.parametrize("later, handled", [
    ({"status": dict(DUMP_2022["status"], lastUpdateTime="2022-05-01T10:00:09Z")}, True),
    ({"status": dict(DUMP_2022["status"])}, False),  # the status the write returned
    ({"status": dict(DUMP_2022["status"], observedGeneration=0)}, False),  # reported and behind
    ({"status": dict(DUMP_2022["status"], observedGeneration=1)}, True),
    (None, False),
])
def test_handled_since_a_write(later, handled):
    assert dag_status.handled_since(DUMP_2022)(later) is handled
