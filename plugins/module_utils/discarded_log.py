# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many transactions a returning old primary discarded when it rejoined as secondary.

A forced failover leaves the old primary with transactions the new primary never received; when it rejoins,
SQL Server discards them for good. What the operator needs in the handover record is how many. Only a controller
that reports the discard as an Event about the instance (reason `DivergentLogDiscarded`, the count in its
message) tells it; no public sample shows a real controller doing so, so a count that was not reported is said to
be unknown, never taken as zero.

The Events that count are the ones that appeared after the rejoin began: their names are compared with the ones
seen before it (not their timestamps, which come from the site's clock).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from .errors import ArcError

REASON = "DivergentLogDiscarded"
COUNT = re.compile(r"discarded (\d+) divergent transactions?")


class DiscardedLog(object):
    """The discard Events about one instance on one site; `before()` ahead of the demotion, `count()` after."""

    def __init__(self, events, instance, warn):
        self.events, self.instance, self.warn = events, instance, warn
        self.seen = None

    def before(self):
        found = self._read()
        self.seen = None if found is None else set(_name(e) for e in found)

    def count(self):
        """The number of transactions discarded since `before()`, or None when that is not known."""
        found = self._read() if self.seen is not None else None
        if found is None:
            return None
        counts = [c for c in (_count(e) for e in found if _name(e) not in self.seen) if c is not None]
        return sum(counts) if counts else None

    def _read(self):
        """The discard Events, or None when they could not be read (the record then says the count is unknown)."""
        try:
            return self.events.about(self.instance, REASON)
        except ArcError as exc:
            self.warn("the discarded transactions of %s could not be read: %s" % (self.instance, exc.message))
            return None


def _name(event):
    return (event.get("metadata") or {}).get("name")


def _count(event):
    match = COUNT.search(event.get("message") or "")
    return int(match.group(1)) if match else None


def describe(count):
    """The phrase the handover record's details end with."""
    if count is None:
        return "its controller did not report how many divergent transactions it discarded"
    return "it discarded %d divergent transaction%s" % (count, "" if count == 1 else "s")
