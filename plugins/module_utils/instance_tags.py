# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One tag of a SQL managed instance's Azure resource, as a small record store for direct mode without a kubeconfig
(the DR lock and the handover record): read, and write with a check that nobody wrote it meanwhile.

PATCH of `tags` is the only change Resource Manager accepts on a Microsoft.AzureArcData resource besides a full PUT,
and it replaces the whole tags object. ARM offers no compare-and-swap on tags (no ETag, no If-Match for them): a
write is made only when the tag still holds the value the caller judged (else LostRace), the other tags are
carried over as just read, and the tag is read again a moment after the write, so that a writer whose PATCH was
overwritten by a concurrent one learns it (LostRace). Two PATCHes within that moment can still both believe they
won: the window is narrowed, not closed; docs/inventory.md says so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from .errors import InvalidInput
from .leases import LostRace

# ARM's limits on tags (Azure Resource Manager, "Use tags to organize your Azure resources"): a value holds at most
# 256 characters, a resource at most 50 tags
MAX_TAG_VALUE = 256
MAX_TAGS = 50
# how long after a write the tag is read again to see whether a concurrent write replaced it
SETTLE_SECONDS = 1.0


class InstanceTag(object):
    """The tag `key` of the instance `instance` in one resource group (ArcDataResources of a DirectSite)."""

    def __init__(self, arc_data, instance, key, settle=SETTLE_SECONDS, sleep=time.sleep):
        self.arc_data, self.instance, self.key = arc_data, instance, key
        self.settle, self._sleep = settle, sleep

    @property
    def site(self):
        return self.arc_data.site or self.arc_data.client.site

    def describe(self):
        return "tag %s of SQL managed instance %s (resource group %s)" % (self.key, self.instance,
                                                                          self.arc_data.resource_group)

    def read(self):
        """The tag's value, or None when the instance has no such tag; InvalidInput when the instance does not
        exist (the tag has nowhere to live)."""
        return self._tags(self._resource()).get(self.key)

    def write(self, value, expected, dry_run=False):
        """Set the tag to `value` (None removes it), provided it still holds `expected` (None: absent); then read it
        again after a moment to see that it kept our value. LostRace (leases.py: someone else wrote it between our
        read and our write, or just after our write) otherwise. In check mode nothing is sent."""
        if value is not None and len(value) > MAX_TAG_VALUE:
            raise ValueError("%s: a tag value holds at most %d characters" % (self.describe(), MAX_TAG_VALUE))
        tags = self._tags(self._resource())
        if tags.get(self.key) != expected:
            raise LostRace()
        if dry_run:
            return
        tags.pop(self.key, None)
        if value is not None:
            if len(tags) >= MAX_TAGS:
                raise InvalidInput("%s: the instance has %d tags already, the most Azure allows: remove one so that "
                                   "the collection can write %s" % (self.site, len(tags), self.key))
            tags[self.key] = value
        self.arc_data.client.patch(self.arc_data.instance_id(self.instance), self.arc_data.api_version,
                                   {"tags": tags}, site=self.site)
        self._sleep(self.settle)
        if self.read() != value:
            raise LostRace()

    def server_now(self):
        """Resource Manager's clock as of its latest answer (arm_client.ArmClient.server_now), or None."""
        return self.arc_data.client.server_now()

    def _resource(self):
        found = self.arc_data.get_instance(self.instance)
        if found is None:
            raise InvalidInput("%s: SQL managed instance %r does not exist in resource group %s: in direct mode "
                               "without a kubeconfig, the DR lock and the handover record are tags of the site's "
                               "instance; set instance to it" % (self.site, self.instance,
                                                                 self.arc_data.resource_group),
                               option="instance", value=self.instance)
        return found

    @staticmethod
    def _tags(resource):
        return dict(resource.get("tags") or {})
