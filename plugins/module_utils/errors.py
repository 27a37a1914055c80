# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors modules report: each names the site, the object and what went wrong."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# where a user finds the permissions the collection needs (the path inside the collection)
ROLE_FILE = "extensions/rbac/arcdata-sqlmi-role.yml"
# the Azure custom role definition with the Microsoft.AzureArcData actions direct mode needs (path inside the collection)
AZURE_ROLE_FILE = "extensions/azure/arcdata-sqlmi-role.json"


class ArcError(Exception):
    """A failure to report with fail_json: `message` for msg, `details` for the other return values."""

    def __init__(self, message, **details):
        super(ArcError, self).__init__(message)
        self.message = message
        self.details = details


class InvalidInput(ArcError):
    """Bad module options, found before anything was written."""


class ApiFailure(ArcError):
    """The API refused or could not be reached; details carry site, verb, object, status and reason."""


class WaitTimeout(ArcError):
    """A wait ran out of time; details carry the last object seen."""


def lacks_permission(api_message):
    """What a 403 Forbidden means to the user: the site's credentials may not do this, and where the Role that
    grants everything the collection needs is. `api_message` is the API's Status.message, which names the
    user, verb, resource and namespace."""
    return "the credentials used for this site lack permission: %s; the collection's Role, which grants what it " \
           "needs, is %s in the arcdata.sqlmi collection (see docs/rbac.md)" % (api_message, ROLE_FILE)


def lacks_azure_permission(arm_message):
    """What ARM's 403 AuthorizationFailed means to the user: the Azure principal may not do this, and where the custom
    role that grants everything direct mode needs is. `arm_message` names the principal, the action and the scope."""
    return "the Azure credentials lack permission: %s; the collection's Azure custom role, which grants what it " \
           "needs, is %s in the arcdata.sqlmi collection" % (arm_message, AZURE_ROLE_FILE)
