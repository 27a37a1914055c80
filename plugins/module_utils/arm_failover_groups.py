# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover groups of one SQL managed instance of a direct-mode site, read as the FailoverGroup custom resources
they project, with the interface of service.CustomResources that waiting.py, conditions.py and the _info modules use
(get, list, describe, caller.site, version), so that the rules of indirect mode apply unchanged. Resource Manager
has no watch: waits poll (`polled`).

A failover group is a child of its instance; when the instance is not known, `locate` finds the instances of the
resource group that hold a failover group of that name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .failover_group_arm import custom_resource


class _Caller(object):
    def __init__(self, site):
        self.site = site


class ArmFailoverGroups(object):
    polled = True

    def __init__(self, arc_data, instance, label):
        self.arc_data = arc_data
        self.instance = instance
        self.caller = _Caller(label)
        self.version = arc_data.api_version
        self.last_resource = None

    def resource_id(self, name):
        return self.arc_data.failover_group_id(self.instance, name)

    def describe(self, name):
        return "failover group %s of SqlManagedInstance %s (%s)" % (name, self.instance, self.resource_id(name))

    def get(self, name):
        """The failover group's custom resource, or None; the ARM resource itself is kept as `last_resource`."""
        self.last_resource = self.arc_data.get_failover_group(self.instance, name)
        return custom_resource(self.last_resource, self.instance)

    def list(self):
        return {"items": [custom_resource(resource, self.instance)
                          for resource in self.arc_data.list_failover_groups(self.instance)]}


def instances_holding(arc_data, name):
    """The names of the resource group's instances that have a failover group called `name`."""
    found = []
    for instance in arc_data.list_instances():
        if arc_data.get_failover_group(instance["name"], name) is not None:
            found.append(instance["name"])
    return found


def every_failover_group(arc_data, label, instance=None):
    """The custom resources of every failover group of `instance`, or of every instance of the resource group."""
    names = [instance] if instance else [found["name"] for found in arc_data.list_instances()]
    items = []
    for name in names:
        items.extend(ArmFailoverGroups(arc_data, name, label).list()["items"])
    return items
