# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Handover records: who moved the primary role where, when, how, and how it ended.

The latest record of each DAG resource is kept in an annotation on it (both sites carry one), and
every record is also a Kubernetes Event, so `kubectl describe` shows the history. Rejoining a
returning old primary relies on them: the record names the site that legitimately holds the role.

A record carries the id of its transition (transition_intent.py). Writing the record of a transition that a site
already has changes nothing there, and its Event is only created when none about the resource names that
transition: a run that finishes a killed run's transition never records it twice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from .errors import ArcError

ANNOTATION = "arcdata.sqlmi/handover"
MODES = ["planned", "forced", "rejoin", "failback"]
OUTCOMES = ["succeeded", "failed", "refused"]
FIELDS = ("time", "mode", "from_site", "to_site", "from_instance", "to_instance", "operator", "job", "outcome",
          "details", "discarded_transactions", "transition", "lock_takeover")
EVENT_REASON = "Handover"


def now():
    # microseconds: two handovers within a second must still be ordered (the latest decides a rejoin)
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build(**values):
    record = dict((field, values.get(field)) for field in FIELDS)
    record["time"] = record["time"] or now()
    return record


def parse(annotations):
    """The record in a resource's annotations, or None (also for a malformed one)."""
    text = (annotations or {}).get(ANNOTATION)
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def latest(records):
    """The most recent of several records (None entries ignored)."""
    found = [r for r in records if r and r.get("time")]
    return max(found, key=lambda r: r["time"]) if found else None


def summary(record):
    return "%s handover %s -> %s (%s)%s%s" % (
        record.get("mode"), record.get("from_site") or record.get("from_instance"),
        record.get("to_site") or record.get("to_instance"), record.get("outcome"),
        ": %s" % record["details"] if record.get("details") else "", transition_mark(record.get("transition")))


def transition_mark(transition_id):
    """How an Event's message names the transition it records."""
    return " [transition %s]" % transition_id if transition_id else ""


def same_transition(found, record):
    """Whether the record `found` on a site is `record` (the same transition id)."""
    return bool(found and record.get("transition") and found.get("transition") == record["transition"])


def write(dags, events, name, record, dry_run=False):
    """Write `record` as the annotation of the DAG resource `name` (dags: its CustomResources) and as an Event
    about it; returns the record it replaced (None if none). The resource must exist."""
    obj = dags.get(name)
    if obj is None:
        raise ArcError("%s: %s does not exist: no handover can be recorded on it" % (
            dags.caller.site, dags.describe(name)), site=dags.caller.site, object=dags.describe(name))
    previous = parse(obj["metadata"].get("annotations"))
    if same_transition(previous, record):  # recorded here by an earlier run: its Event may be missing
        if not _event_of(events, name, record["transition"]):
            events.record(obj, EVENT_REASON, summary(record), _event_type(record), dry_run=dry_run)
        return previous
    patch = {"metadata": {"annotations": {ANNOTATION: json.dumps(record, sort_keys=True)}}}
    obj = dags.patch(name, patch, dry_run=dry_run)
    events.record(obj, EVENT_REASON, summary(record), _event_type(record), dry_run=dry_run)
    return previous


def _event_type(record):
    return "Normal" if record["outcome"] == "succeeded" else "Warning"


def _event_of(events, name, transition_id):
    mark = transition_mark(transition_id)
    return [e for e in events.about(name, EVENT_REASON) if mark in (e.get("message") or "")]
