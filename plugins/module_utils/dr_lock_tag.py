# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock of direct mode without a kubeconfig: the tag `arcdata-sqlmi-dr-lock` of the site's SQL managed
instance resource, behind the interface of leases.Leases, so that dr_lock.DrLock keeps every rule (holder,
expiry, renewal, takeover, release) whichever store holds the lock.

The tag holds compact JSON, at most 256 characters: holder (h), purpose (p), duration in seconds (d), acquired
(a) and renewed (r) as Unix seconds, transitions (t). A purpose too long is cut first; a holder too long is cut
and ends with `~` and 8 hex digits of its SHA-256, so that two holders that share a long prefix stay apart (the
store recognises its own holder). Times are Resource Manager's clock (the Date header of its latest answer) when
it sends one, so the machines that run failovers need not agree on the time; the resource's
systemData.lastModifiedAt is not used: any write to the instance moves it (and a tag PATCH need not). A release
removes the tag. One lock per instance: the lock's name is only shown in messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json

from .dr_lock import format_time, now_utc, parse_time
from .instance_tags import MAX_TAG_VALUE, InstanceTag

TAG = "arcdata-sqlmi-dr-lock"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
HASHED_HOLDER_SUFFIX = 9  # "~" and 8 hex digits
CUT = "..."  # ends a text that was cut to fit


def _seconds(text):
    moment = parse_time(text)
    return int((moment - EPOCH).total_seconds()) if moment else None


def _time(seconds):
    return format_time(EPOCH + datetime.timedelta(seconds=seconds)) if isinstance(seconds, int) else None


def shorten_holder(holder, length):
    """`holder` itself when it fits in `length` characters, else its start, `~` and 8 hex digits of its SHA-256."""
    if len(holder) <= length:
        return holder
    digest = hashlib.sha256(holder.encode("utf-8")).hexdigest()[:8]
    return "%s~%s" % (holder[:max(0, length - HASHED_HOLDER_SUFFIX)], digest)


def encode(holder, purpose, duration, acquired, renewed, transitions):
    """The tag value, cut to fit: the purpose first, then the holder."""
    record = {"h": holder, "p": purpose, "d": duration, "a": acquired, "r": renewed, "t": transitions}

    def dump():
        return json.dumps(record, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    excess = len(dump()) - MAX_TAG_VALUE
    if excess > 0 and purpose:
        kept = len(purpose) - excess - len(CUT)
        record["p"] = purpose[:kept] + CUT if kept > 0 else ""
        excess = len(dump()) - MAX_TAG_VALUE
    if excess > 0:
        record["h"] = shorten_holder(holder, len(holder) - excess)
    return dump()


def decode(value):
    """The tag's record as a dict; {} for a value that is not one (it reads as a free lock)."""
    try:
        record = json.loads(value)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


class TagLeases(object):
    """leases.Leases over the DR lock tag of one instance (instance_tags.InstanceTag). `own_holder` is the holder of
    this run, recognised when the tag had to shorten it."""

    def __init__(self, arc_data, instance, own_holder, tag=None):
        self.tag = tag or InstanceTag(arc_data, instance, TAG)
        self.own_holder = own_holder
        self.namespace = None
        self.caller = self  # DrLock names the site as leases.caller.site

    @property
    def site(self):
        return self.tag.site

    def describe(self, name):
        return "DR lock %s (%s)" % (name, self.tag.describe())

    def now(self):
        """The clock DrLock stamps and judges with: Resource Manager's when known, else this machine's."""
        return self.tag.server_now() or now_utc()

    def get(self, name):
        value = self.tag.read()
        return None if value is None else self._lease(name, value)

    def create(self, body, dry_run=False):
        return self._write(body, None, dry_run)

    def replace(self, body, dry_run=False):
        return self._write(body, body["metadata"].get("resourceVersion"), dry_run)

    def _write(self, body, expected, dry_run):
        spec = body["spec"]
        value = None
        if spec.get("holderIdentity"):  # a released lock (empty holder) is no tag at all
            value = encode(spec["holderIdentity"], ((body["metadata"].get("annotations") or {})
                                                    .get("arcdata.sqlmi/purpose") or ""),
                           spec.get("leaseDurationSeconds"), _seconds(spec.get("acquireTime")),
                           _seconds(spec.get("renewTime")), spec.get("leaseTransitions") or 0)
        self.tag.write(value, expected, dry_run=dry_run)
        if dry_run or value is None:
            return body
        return self._lease(body["metadata"]["name"], value)

    def _lease(self, name, value):
        """The tag as the Lease DrLock reads (resourceVersion: the tag value it was read from)."""
        record = decode(value)
        holder = record.get("h") or ""
        if holder and holder == shorten_holder(self.own_holder, len(holder)):
            holder = self.own_holder
        return {"metadata": {"name": name, "resourceVersion": value,
                             "annotations": {"arcdata.sqlmi/purpose": record.get("p") or ""}},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": record.get("d") or 0,
                         "acquireTime": _time(record.get("a")), "renewTime": _time(record.get("r")),
                         "leaseTransitions": record.get("t") or 0}}
