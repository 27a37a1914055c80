# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handover record of direct mode without a kubeconfig: the latest record, compacted into the tag
`arcdata-sqlmi-handover` of the site's SQL managed instance resource (an ARM tag value holds at most 256
characters, and Resource Manager keeps no Events, so only the latest record is kept, not the history).

What is kept: every field of handover.FIELDS under a one-letter key, the fields that are not set left out. When the
record is still too long, `details` is cut first (ending with "..."), then `operator` and `job`, then the site and
instance names; time, mode, outcome and the transition id are always kept whole, since rejoining and finishing an
interrupted transition rely on them. Writing the record of the transition the tag already holds changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from . import handover
from .errors import ArcError
from .instance_tags import MAX_TAG_VALUE, InstanceTag
from .leases import LostRace

TAG = "arcdata-sqlmi-handover"
KEYS = {"time": "t", "mode": "m", "from_site": "fs", "to_site": "ts", "from_instance": "fi", "to_instance": "ti",
        "operator": "o", "job": "j", "outcome": "r", "details": "x", "discarded_transactions": "n",
        "transition": "i", "lock_takeover": "k"}
FIELDS_BY_KEY = dict((key, field) for field, key in KEYS.items())
# cut in this order until the record fits
CUT_ORDER = ("lock_takeover", "details", "operator", "job", "from_site", "to_site", "from_instance", "to_instance")
CUT = "..."
MAX_RACES = 5


def compact(record):
    """The tag value of a handover record (handover.build), at most 256 characters."""
    short = dict((KEYS[field], value) for field, value in record.items() if field in KEYS and value is not None)
    for field in CUT_ORDER:
        excess = len(_dump(short)) - MAX_TAG_VALUE
        if excess <= 0:
            break
        text = short.get(KEYS[field])
        if isinstance(text, str) and text:
            kept = len(text) - excess - len(CUT)
            short[KEYS[field]] = text[:kept] + CUT if kept > 0 else ""
    return _dump(short)


def expand(value):
    """The record a tag value holds, with every field of handover.FIELDS (None when not kept); None for a value that
    is not a record."""
    try:
        short = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(short, dict):
        return None
    return dict((field, short.get(KEYS[field])) for field in handover.FIELDS)


def _dump(short):
    return json.dumps(short, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def instance_tag(arc_data, instance):
    """The handover tag of `instance` (instance_tags.InstanceTag), for write()."""
    return InstanceTag(arc_data, instance, TAG)


def write(tag, record, dry_run=False):
    """Write `record` as the instance's handover tag; returns the record it replaced (None if none). A concurrent
    write of the tag in between makes it read and write again (the DR lock keeps two handovers of one pair apart;
    this only keeps the other tags a concurrent writer changed)."""
    for unused in range(MAX_RACES):
        found = tag.read()
        if found and handover.same_transition(expand(found), record):
            return expand(found)
        try:
            tag.write(compact(record), found, dry_run=dry_run)
        except LostRace:
            continue
        return expand(found) if found else None
    raise ArcError("%s: %s kept changing under us (%d attempts): another run is writing handover records"
                   % (tag.site, tag.describe(), MAX_RACES))


def read(resource):
    """The handover record an instance resource (as ARM returns it) carries in its tag, or None."""
    return expand(((resource or {}).get("tags") or {}).get(TAG))
