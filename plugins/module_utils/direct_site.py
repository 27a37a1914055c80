# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Arc site in direct connection mode: its resource group and custom location in Azure Resource Manager,
reached with the Azure options (azure_credentials.py, arm_client.py, arm_resources.py).

The scope is checked before anything is written, so that a wrong subscription, resource group or custom location
fails naming the option, the value and what to do, rather than as a refused write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .arm_client import SCOPE_NOT_FOUND, ArmClient
from .arm_resources import ArcDataResources, custom_location_id, resource_group_id
from .azure_credentials import NO_CREDENTIALS_HELP, azure_credentials
from .errors import ApiFailure, InvalidInput

CUSTOM_LOCATIONS_API_VERSION = "2021-08-15"
RESOURCE_GROUPS_API_VERSION = "2021-04-01"


class DirectSite(object):
    """The ArcDataResources of one resource group, the site's label for messages, and its custom location."""

    def __init__(self, client, params, timeout=600):
        self.client = client
        self.params = params
        self.resource_group = params.get("resource_group")
        self.label = "resource group %s (Azure Resource Manager %s)" % (
            self.resource_group, client.credentials.cloud.resource_manager)
        self.arc_data = ArcDataResources(client, self.resource_group, params.get("arm_api_version"), site=self.label,
                                         timeout=timeout)

    @classmethod
    def connect(cls, params, timeout=600):
        """The site the Azure options describe; InvalidInput naming the option when they describe none."""
        if not params.get("resource_group"):
            raise InvalidInput("connection_mode is direct but resource_group is not set: set resource_group to the "
                               "Azure resource group of the site's SQL managed instances", option="resource_group")
        return cls(ArmClient(azure_credentials(params)), params, timeout)

    @property
    def subscription_id(self):
        return self.client.subscription_id

    def check_scope(self):
        """The subscription and the resource group exist and the credentials may read them."""
        scope = resource_group_id(self.subscription_id, self.resource_group)
        try:
            found = self.client.get(scope, RESOURCE_GROUPS_API_VERSION, site=self.label)
        except ApiFailure as failure:
            raise _scope_problem(failure, self.subscription_id, self.resource_group)
        if found is None:
            raise InvalidInput("resource_group %r does not exist in subscription %s: set resource_group to the "
                               "resource group of the site's SQL managed instances (az group list)"
                               % (self.resource_group, self.subscription_id), option="resource_group",
                               value=self.resource_group)

    def custom_location(self):
        """The custom_location option's resource (it names the Azure region too); InvalidInput when it is not set or
        does not exist."""
        name = self.params.get("custom_location")
        if not name:
            raise InvalidInput("custom_location is not set: set it to the name (in resource_group %r) or the resource "
                               "ID of the site's custom location, where Resource Manager places the instance"
                               % self.resource_group, option="custom_location")
        resource_id = custom_location_id(self.subscription_id, self.resource_group, name)
        found = self.custom_location_by_id(resource_id)
        if found is None:
            raise InvalidInput("custom_location %r does not exist (%s): set custom_location to the name or resource ID "
                               "of the custom location of the site's Arc data services (az customlocation list)"
                               % (name, resource_id), option="custom_location", value=name)
        return found

    def custom_location_by_id(self, resource_id):
        """The custom location with this resource ID, or None when Resource Manager knows none."""
        try:
            return self.client.get(resource_id, CUSTOM_LOCATIONS_API_VERSION, site=self.label)
        except ApiFailure as failure:
            if failure.details.get("reason") not in SCOPE_NOT_FOUND:
                raise
        return None


def _scope_problem(failure, subscription_id, resource_group):
    reason = failure.details.get("reason")
    if reason == "CredentialFailed":
        return InvalidInput("%s; %s" % (failure.message, NO_CREDENTIALS_HELP), option="auth_source")
    if reason == "SubscriptionNotFound":
        return InvalidInput("subscription_id %r: Resource Manager knows no such subscription (%s): set subscription_id "
                            "(or AZURE_SUBSCRIPTION_ID) to the subscription of the site's resources (az account list)"
                            % (subscription_id, failure.details.get("arm_message")), option="subscription_id",
                            value=subscription_id)
    if reason == "ResourceGroupNotFound":
        return InvalidInput("resource_group %r does not exist in subscription %s (%s): set resource_group to the "
                            "resource group of the site's SQL managed instances (az group list)"
                            % (resource_group, subscription_id, failure.details.get("arm_message")),
                            option="resource_group", value=resource_group)
    return failure
