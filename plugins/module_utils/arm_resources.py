# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Microsoft.AzureArcData resources of direct mode: their IDs, and reads and writes of SQL managed instances
and their failover groups through arm_client.ArmClient.

A failover group is a child of its instance (`.../sqlManagedInstances/{mi}/failoverGroups/{name}`); every change
is a PUT of the whole resource, refused while ARM still works on the previous one (provisioningState Accepted
or Deleting, as `az sql instance-failover-group-arc update` refuses it). A DELETE is followed until a GET no
longer finds the resource.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.six.moves.urllib.parse import quote

from .errors import ApiFailure, InvalidInput, WaitTimeout

PROVIDER = "Microsoft.AzureArcData"
# stable, with the same failover-group schema as 2023-01-15-preview, which `az` sends (reference/direct-mode.md §2.3)
DEFAULT_API_VERSION = "2024-01-01"
CUSTOM_LOCATION_PROVIDER = "Microsoft.ExtendedLocation"
# provisioning states in which ARM is still working on the last write
BUSY_STATES = ("Accepted", "Deleting")
DELETE_CHECK_INTERVAL = 5


def _segment(value):
    return quote(str(value), safe="")


def resource_group_id(subscription_id, resource_group):
    return "/subscriptions/%s/resourceGroups/%s" % (_segment(subscription_id), _segment(resource_group))


def instance_id(subscription_id, resource_group, instance):
    return "%s/providers/%s/sqlManagedInstances/%s" % (resource_group_id(subscription_id, resource_group), PROVIDER,
                                                       _segment(instance))


def failover_group_id(subscription_id, resource_group, instance, name):
    return "%s/failoverGroups/%s" % (instance_id(subscription_id, resource_group, instance), _segment(name))


def data_controller_id(subscription_id, resource_group, name):
    return "%s/providers/%s/dataControllers/%s" % (resource_group_id(subscription_id, resource_group), PROVIDER,
                                                   _segment(name))


def custom_location_id(subscription_id, resource_group, custom_location):
    """The custom location's ID: `custom_location` itself when it is one, else its name in the resource group."""
    if custom_location.startswith("/"):
        if ("/providers/%s/customLocations/" % CUSTOM_LOCATION_PROVIDER).lower() not in custom_location.lower():
            raise InvalidInput("custom_location %r is neither a name nor the ID of a %s/customLocations resource" % (
                custom_location, CUSTOM_LOCATION_PROVIDER), option="custom_location", value=custom_location)
        return custom_location
    return "%s/providers/%s/customLocations/%s" % (resource_group_id(subscription_id, resource_group),
                                                   CUSTOM_LOCATION_PROVIDER, _segment(custom_location))


def parse_resource_id(resource_id):
    """{'subscription_id', 'resource_group', and each type segment's name by its type} of an ARM resource ID, for
    example partnerManagedInstanceId -> {..., 'sqlManagedInstances': 'mi-dr'}."""
    parts = [part for part in (resource_id or "").split("/") if part]
    found = {}
    for key, value in zip(parts[0::2], parts[1::2]):
        if key.lower() == "subscriptions":
            found["subscription_id"] = value
        elif key.lower() == "resourcegroups":
            found["resource_group"] = value
        elif key.lower() != "providers":
            found[key] = value
    return found


def provisioning_state(resource):
    return ((resource or {}).get("properties") or {}).get("provisioningState")


class ArcDataResources(object):
    """SQL managed instances and failover groups of one resource group, through one ArmClient. `site` labels
    messages (the DR site these resources belong to); `timeout` bounds each long-running write."""

    def __init__(self, client, resource_group, api_version=None, site=None, timeout=600, sleep=time.sleep,
                 clock=time.monotonic):
        self.client = client
        self.resource_group = resource_group
        self.api_version = api_version or DEFAULT_API_VERSION
        self.site = site
        self.timeout = timeout
        self._sleep, self._clock = sleep, clock

    # -- IDs -----------------------------------------------------------------------------------------
    def instance_id(self, instance):
        return instance_id(self.client.subscription_id, self.resource_group, instance)

    def failover_group_id(self, instance, name):
        return failover_group_id(self.client.subscription_id, self.resource_group, instance, name)

    # -- reads ---------------------------------------------------------------------------------------
    def get_instance(self, instance):
        return self.client.get(self.instance_id(instance), self.api_version, site=self.site)

    def list_instances(self):
        collection = "%s/providers/%s/sqlManagedInstances" % (
            resource_group_id(self.client.subscription_id, self.resource_group), PROVIDER)
        return self.client.list(collection, self.api_version, site=self.site)

    def get_failover_group(self, instance, name):
        return self.client.get(self.failover_group_id(instance, name), self.api_version, site=self.site)

    def list_failover_groups(self, instance):
        return self.client.list(self.instance_id(instance) + "/failoverGroups", self.api_version, site=self.site)

    # -- writes --------------------------------------------------------------------------------------
    def put_instance(self, instance, body, current=None):
        """Create or replace the instance and wait; `current` is the resource as last read (read here if None)."""
        resource_id = self.instance_id(instance)
        self._refuse_busy(resource_id, current if current is not None else self.get_instance(instance))
        return self.client.put(resource_id, self.api_version, body, timeout=self.timeout, site=self.site)

    def put_failover_group(self, instance, name, body, current=None):
        """Create or replace the failover group and wait; returns it as ARM answered at the end."""
        resource_id = self.failover_group_id(instance, name)
        self._refuse_busy(resource_id, current if current is not None else self.get_failover_group(instance, name))
        return self.client.put(resource_id, self.api_version, body, timeout=self.timeout, site=self.site)

    def delete_instance(self, instance):
        """Delete the instance and wait until a GET no longer finds it; False when there was none."""
        resource_id = self.instance_id(instance)
        current = self.get_instance(instance)
        if current is None:
            return False
        started = self._clock()
        self.client.delete(resource_id, self.api_version, timeout=self.timeout, site=self.site)
        self._wait_until_gone(resource_id, started)
        return True

    def delete_failover_group(self, instance, name):
        """Delete the failover group and wait until a GET no longer finds it; False when there was none."""
        resource_id = self.failover_group_id(instance, name)
        if self.get_failover_group(instance, name) is None:
            return False
        started = self._clock()
        self.client.delete(resource_id, self.api_version, timeout=self.timeout, site=self.site)
        self._wait_until_gone(resource_id, started)
        return True

    def _refuse_busy(self, resource_id, current):
        state = provisioning_state(current)
        if state in BUSY_STATES:
            site = self.site or self.client.site
            raise ApiFailure("%s: PUT %s refused: Resource Manager is still working on it (provisioningState %s); "
                             "wait for the operation to end and run again" % (site, resource_id, state),
                             site=site, verb="PUT", object=resource_id, status=None, reason="OperationInProgress",
                             seen=state)

    def _wait_until_gone(self, resource_id, started):
        """The delete operation has ended, but the resource may linger while the cluster removes its custom
        resource (provisioningState Deleting)."""
        while True:
            remaining = self.client.get(resource_id, self.api_version, site=self.site)
            if remaining is None:
                return
            elapsed = self._clock() - started
            if elapsed >= self.timeout:
                site = self.site or self.client.site
                raise WaitTimeout("%s: timed out after %.1f s waiting for %s to be deleted; it is still there with "
                                  "provisioningState %s" % (site, elapsed, resource_id, provisioning_state(remaining)),
                                  site=site, object=resource_id, field="provisioningState", expected="absent",
                                  seen=provisioning_state(remaining), elapsed=round(elapsed, 1),
                                  last_object=remaining)
            self._sleep(DELETE_CHECK_INTERVAL)
