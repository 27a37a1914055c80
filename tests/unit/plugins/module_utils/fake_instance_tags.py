# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory stand-in for the ArcDataResources of one resource group, as the tag stores use it: SQL managed
instance resources with tags, a PATCH that replaces the whole tags object (as ARM does), Resource Manager's clock
(settable), and a hook for another writer acting just after one of our requests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime

SERVER_START = datetime.datetime(2026, 11, 26, 3, 0, 0, tzinfo=datetime.timezone.utc)


class FakeClient(object):
    site = "resource group arc-primary (Azure Resource Manager https://management.azure.com/)"

    def __init__(self, resources):
        self.resources = resources
        self.now = SERVER_START
        self.patches = []
        self.after_patch = None  # another writer, acting between our PATCH and our re-read

    def server_now(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)

    def patch(self, resource_id, api_version, body, site=None):
        assert set(body) == {"tags"}, "ARM accepts only tags in a PATCH of this resource type"
        self.patches.append((resource_id, copy.deepcopy(body)))
        self.resources[resource_id]["tags"] = copy.deepcopy(body["tags"])
        if self.after_patch:
            hook, self.after_patch = self.after_patch, None
            hook()
        return copy.deepcopy(self.resources[resource_id])


class FakeArcData(object):
    resource_group = "arc-primary"
    api_version = "2024-01-01"
    site = None

    def __init__(self, instances=("sqlprimary",), tags=None):
        self.resources = dict((self.instance_id(name), {"name": name, "tags": dict(tags or {})}) for name in instances)
        self.client = FakeClient(self.resources)
        self.after_read = None  # another writer, acting just after one of our reads

    @staticmethod
    def instance_id(instance):
        return "/subscriptions/sub-1/resourceGroups/arc-primary/providers/Microsoft.AzureArcData/" \
               "sqlManagedInstances/%s" % instance

    def get_instance(self, instance):
        found = copy.deepcopy(self.resources.get(self.instance_id(instance)))
        if self.after_read:
            hook, self.after_read = self.after_read, None
            hook()
        return found

    def tags(self, instance="sqlprimary"):
        return self.resources[self.instance_id(instance)]["tags"]

    def set_tag(self, key, value, instance="sqlprimary"):
        """Another writer's PATCH (ARM replaces the tags object)."""
        self.tags(instance)[key] = value
