# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL managed instances of a direct-mode site read as the custom resources they project, with the interface
of service.CustomResources that waiting.py and the _info modules use (get, list, describe, caller.site), so that
the conditions and summaries of indirect mode apply unchanged. Resource Manager has no watch: waits poll
(`polled`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .sqlmi_arm import custom_resource


class _Caller(object):
    def __init__(self, site):
        self.site = site


class ArmInstances(object):
    polled = True

    def __init__(self, direct_site):
        self.direct_site = direct_site
        self.arc_data = direct_site.arc_data
        self.caller = _Caller(direct_site.label)
        self.version = self.arc_data.api_version
        self.last_resource = None

    def describe(self, name):
        return "SqlManagedInstance %s (%s)" % (name, self.arc_data.instance_id(name))

    def get(self, name):
        """The instance's custom resource, or None; the ARM resource itself is kept as `last_resource`."""
        self.last_resource = self.arc_data.get_instance(name)
        return custom_resource(self.last_resource)

    def list(self):
        return {"items": [custom_resource(resource) for resource in self.arc_data.list_instances()]}
