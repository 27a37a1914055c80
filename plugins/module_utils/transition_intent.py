# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The intent of a transition, as the DR lock carries it: which transition of which pair, from which site to which,
its id, when and by whom it was started. The holder writes it when it takes the lock and marks it ended when it
releases the lock at the end of the transition; a run that was killed leaves it unended, and the next run that takes
the lock inherits it and finishes that transition (resume.py) before anything else. The id is also in the handover
record of the transition, so that a record is never written twice for one transition.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from .failover_plan import describe_mode

FIELDS = ("id", "mode", "pair", "from_site", "to_site", "started", "holder", "operator", "job", "ended")


def new(mode, pair, from_site, to_site, holder, started, operator=None, job=None):
    """The intent of a transition about to start (a fresh id)."""
    return {"id": uuid.uuid4().hex[:12], "mode": mode, "pair": pair, "from_site": from_site, "to_site": to_site,
            "started": started, "holder": holder, "operator": operator or None, "job": job or None, "ended": False}


def unfinished(intent):
    """Whether `intent` (a dict from the lock, or None) names a transition that has not ended."""
    return bool(intent) and bool(intent.get("id")) and bool(intent.get("mode")) and not intent.get("ended")


def describe(intent):
    """One line for messages: the transition, its sites, id and start."""
    started = " started %s" % intent["started"] if intent.get("started") else ""
    by = " by %r" % intent["holder"] if intent.get("holder") else ""
    return "%s of %s from %s to %s (transition %s%s%s)" % (
        describe_mode(intent.get("mode")), intent.get("pair") or "the pair", intent.get("from_site"),
        intent.get("to_site"), intent.get("id"), started, by)
