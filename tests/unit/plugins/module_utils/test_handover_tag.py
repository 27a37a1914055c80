# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handover record as the Azure tag arcdata-sqlmi-handover (direct mode without a kubeconfig): compacted into
256 characters with time, mode and outcome whole, the instance's other tags kept, the record replaced returned;
and where a kubeconfig is given on a direct-mode site, the FailoverGroup resource found as `az` finds it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from fake_instance_tags import FakeArcData

from ansible_collections.arcdata.sqlmi.plugins.module_utils import handover, handover_tag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.instance_tags import InstanceTag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.record_place import failover_group_resource

TAG = "arcdata-sqlmi-handover"
RECORD = handover.build(time="2026-11-26T03:12:00.123456Z", mode="planned", from_site="primary",
                        to_site="secondary", from_instance="sqlprimary", to_instance="sqlsecondary",
                        operator="dba alice", job="42", outcome="succeeded", details="switched in 4 s",
                        discarded_transactions=None)


def no_pause(seconds):
    return None


def tag(arc_data):
    return InstanceTag(arc_data, "sqlprimary", TAG, sleep=no_pause)


def test_a_record_survives_the_tag_whole_when_it_fits():
    value = handover_tag.compact(RECORD)
    assert len(value) <= 256
    assert handover_tag.expand(value) == RECORD


def test_a_long_record_is_cut_details_first_keeping_time_mode_and_outcome_whole():
    record = dict(RECORD, details="the primary's site did not answer: " + "x" * 400)
    value = handover_tag.compact(record)
    assert len(value) <= 256
    kept = handover_tag.expand(value)
    assert kept["details"].startswith("the primary's site did not answer: xx") and kept["details"].endswith("...")
    assert dict(kept, details=None) == dict(RECORD, details=None)


def test_a_record_long_everywhere_still_fits_and_keeps_what_rejoining_needs():
    record = dict(RECORD, details="d" * 300, operator="o" * 300, job="j" * 300, from_site="s" * 300,
                  to_site="t" * 300, from_instance="i" * 300, to_instance="k" * 300)
    kept = handover_tag.expand(handover_tag.compact(record))
    assert len(handover_tag.compact(record)) <= 256
    assert (kept["time"], kept["mode"], kept["outcome"]) == (RECORD["time"], "planned", "succeeded")


def test_a_tag_that_is_not_a_record_reads_as_none():
    assert handover_tag.expand("not json") is None
    assert handover_tag.read({"tags": {"owner": "dba team"}}) is None


def test_writing_keeps_the_other_tags_and_returns_the_record_replaced():
    arc_data = FakeArcData(tags={"owner": "dba team"})
    assert handover_tag.write(tag(arc_data), RECORD) is None
    later = dict(RECORD, time="2026-11-26T04:00:00.000000Z", mode="failback", from_site="secondary", to_site="primary")
    assert handover_tag.write(tag(arc_data), later) == RECORD
    assert arc_data.tags()["owner"] == "dba team"
    assert handover_tag.read(arc_data.get_instance("sqlprimary")) == later


def test_a_record_written_over_by_another_writer_meanwhile_is_written_again():
    arc_data = FakeArcData()

    def other_writer():
        arc_data.set_tag("owner", "dba team")
        arc_data.set_tag(TAG, "{}")
    arc_data.client.after_patch = other_writer
    handover_tag.write(tag(arc_data), RECORD)
    assert json.loads(arc_data.tags()[TAG])["m"] == "planned" and arc_data.tags()["owner"] == "dba team"


def test_check_mode_writes_no_tag():
    arc_data = FakeArcData()
    handover_tag.write(tag(arc_data), RECORD, dry_run=True)
    assert arc_data.client.patches == [] and arc_data.tags() == {}


class FakeFailoverGroups(object):
    class caller(object):  # noqa: N801 - the shape of CustomResources.caller
        site = "site primary (context operator@primary)"

    def __init__(self, items):
        self.items = items

    def list(self):
        return {"items": self.items}


def failover_group(name, source, shared):
    return {"metadata": {"name": name}, "spec": {"sourceMI": source, "sharedName": shared}}


def test_the_failover_group_resource_is_found_by_its_source_instance_and_shared_name():
    dags = FakeFailoverGroups([failover_group("0b6e5f0e-1111", "sqlother", "dagtest"),
                               failover_group("7d1c2a9e-2222", "sqlprimary", "dagother"),
                               failover_group("5a4b3c2d-3333", "sqlprimary", "dagtest")])
    assert failover_group_resource(dags, "sqlprimary", "dagtest") == "5a4b3c2d-3333"


def test_no_such_failover_group_resource_fails_naming_both():
    with pytest.raises(InvalidInput) as caught:
        failover_group_resource(FakeFailoverGroups([failover_group("x", "sqlother", "dagtest")]), "sqlprimary",
                                "dagtest")
    assert "no FailoverGroup resource has spec.sourceMI 'sqlprimary' and spec.sharedName 'dagtest'" \
        in caught.value.message
