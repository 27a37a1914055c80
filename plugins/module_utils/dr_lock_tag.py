# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock of direct mode without a kubeconfig: the tag `arcdata-sqlmi-dr-lock` of the site's SQL managed
instance resource, behind the interface of leases.Leases, so that dr_lock.DrLock keeps every rule (holder,
staleness by watching, renewal, takeover, release, the intent) whichever store holds the lock.

The tag holds compact JSON, at most 256 characters: holder (h), purpose (p), duration in seconds (d), acquired
(a) and renewed (r) as Unix seconds, transitions (t), the intent of the holder's transition (x: id i, mode m,
from-site f, to-site o, started s, ended e) and the takeover that gave it the lock (k: previous holder h, seconds
it was watched unchanged u). A purpose too long is cut first, then the takeover is left out; a holder too long is
cut and ends with `~` and 8 hex digits of its SHA-256, so that two holders that share a long prefix stay apart
(the store recognises its own holder). Times are Resource Manager's clock (the Date header of its latest answer)
when it sends one; staleness does not depend on them: DrLock watches the tag's value for changes (the value is the
resourceVersion it compares). The resource's systemData.lastModifiedAt is not used: any write to the instance moves
it (and a tag PATCH need not). A release keeps the tag with an empty holder when it carries an intent (the next run
reads whether that transition ended), and removes it otherwise. One lock per instance: the lock's name is only
shown in messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json

from .dr_lock import HOLDER_ANNOTATION, TAKEOVER_ANNOTATION, TRANSITION_ANNOTATION, annotation_json, \
    format_time, now_utc, parse_time
from .instance_tags import MAX_TAG_VALUE, InstanceTag

TAG = "arcdata-sqlmi-dr-lock"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
HASHED_HOLDER_SUFFIX = 9  # "~" and 8 hex digits
CUT = "..."  # ends a text that was cut to fit
INTENT_KEYS = {"id": "i", "mode": "m", "from_site": "f", "to_site": "o", "started": "s", "ended": "e"}
TAKEOVER_KEYS = {"holder": "h", "observed_unchanged_seconds": "u"}


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


def _short(values, keys):
    return dict((key, values[field]) for field, key in keys.items() if values.get(field) not in (None, False))


def _long(short, keys):
    return dict((field, short[key]) for field, key in keys.items() if key in short) if isinstance(short, dict) \
        else None


def encode(holder, purpose, duration, acquired, renewed, transitions, intent=None, takeover=None):
    """The tag value, cut to fit: the purpose first, then the takeover, then the holder."""
    record = {"h": holder, "p": purpose, "d": duration, "a": acquired, "r": renewed, "t": transitions}
    if intent:
        record["x"] = _short(intent, INTENT_KEYS)
    if takeover:
        record["k"] = _short(takeover, TAKEOVER_KEYS)

    def dump():
        return json.dumps(record, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    excess = len(dump()) - MAX_TAG_VALUE
    if excess > 0 and purpose:
        kept = len(purpose) - excess - len(CUT)
        record["p"] = purpose[:kept] + CUT if kept > 0 else ""
        excess = len(dump()) - MAX_TAG_VALUE
    if excess > 0 and "k" in record:
        del record["k"]
        excess = len(dump()) - MAX_TAG_VALUE
    if excess > 0:
        record["h"] = shorten_holder(holder, max(HASHED_HOLDER_SUFFIX, len(holder) - excess))
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
        intent = annotation_json(body, TRANSITION_ANNOTATION)
        value = None
        if spec.get("holderIdentity") or intent:  # a released lock without an intent is no tag at all
            value = encode(spec.get("holderIdentity") or "",
                           (body["metadata"].get("annotations") or {}).get(HOLDER_ANNOTATION) or "",
                           spec.get("leaseDurationSeconds"), _seconds(spec.get("acquireTime")),
                           _seconds(spec.get("renewTime")), spec.get("leaseTransitions") or 0, intent,
                           annotation_json(body, TAKEOVER_ANNOTATION))
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
        annotations = {HOLDER_ANNOTATION: record.get("p") or ""}
        stored = (("x", TRANSITION_ANNOTATION, INTENT_KEYS), ("k", TAKEOVER_ANNOTATION, TAKEOVER_KEYS))
        for key, annotation, keys in stored:
            found = _long(record.get(key), keys)
            if found:
                annotations[annotation] = json.dumps(found, sort_keys=True)
        return {"metadata": {"name": name, "resourceVersion": value, "annotations": annotations},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": record.get("d") or 0,
                         "acquireTime": _time(record.get("a")), "renewTime": _time(record.get("r")),
                         "leaseTransitions": record.get("t") or 0}}
