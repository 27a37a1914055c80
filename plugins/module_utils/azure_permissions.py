# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the Azure principal may do an action in a resource group, asked before the write rather than learnt from
its refusal.

Resource Manager tells any caller what it may do at a scope (Permissions - List For Resource Group: the actions and
notActions of each of its role assignments there). A write that would be refused then fails before it is sent, with
the same words as Resource Manager's 403. When the list cannot be read, nothing is concluded: the write is sent and
Resource Manager's own answer decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from .errors import ApiFailure, ArcError, lacks_azure_permission

PERMISSIONS_API_VERSION = "2022-04-01"


def permitted(entries, action):
    """Whether the permission entries (as Resource Manager lists them) allow `action`: an entry whose actions match
    it (wildcards, any case) and whose notActions do not."""
    action = action.lower()

    def matches(patterns):
        return any(fnmatch.fnmatchcase(action, pattern.lower()) for pattern in patterns or [])
    return any(matches(e.get("actions")) and not matches(e.get("notActions")) for e in entries)


def require(direct_site, actions, what):
    """Raise ApiFailure (reason AuthorizationFailed) naming the first of `actions` the principal may not do in the
    site's resource group, before `what` (a phrase: the write about to be sent) is sent."""
    scope = "/subscriptions/%s/resourceGroups/%s" % (direct_site.subscription_id, direct_site.resource_group)
    try:
        found = direct_site.client.get(scope + "/providers/Microsoft.Authorization/permissions",
                                       PERMISSIONS_API_VERSION, site=direct_site.label)
    except ArcError:
        return  # not known: Resource Manager's answer to the write decides
    entries = (found or {}).get("value")
    if entries is None:
        return
    who = getattr(getattr(direct_site.client, "credentials", None), "source", None) or "the Azure principal"
    for action in actions:
        if not permitted(entries, action):
            message = "%s may not perform action '%s' over scope '%s'" % (who, action, scope)
            raise ApiFailure("%s: %s was not sent: %s" % (direct_site.label, what, lacks_azure_permission(message)),
                             site=direct_site.label, object=scope, status=403, reason="AuthorizationFailed")
