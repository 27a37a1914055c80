# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The permission check before a direct-mode write: refused before sending when Resource Manager's list of the
caller's permissions lacks the action, and no conclusion when that list cannot be read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import azure_permissions
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, AZURE_ROLE_FILE

WRITE = "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/write"
READER = [{"actions": ["*/read"], "notActions": []}]
OPERATOR = [{"actions": ["Microsoft.AzureArcData/sqlManagedInstances/*"], "notActions": []}]


class FakeClient(object):
    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def get(self, resource_id, api_version, site=None):
        self.asked.append((resource_id, api_version))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeSite(object):
    label, subscription_id, resource_group = "resource group rg", "sub", "rg"

    def __init__(self, answer):
        self.client = FakeClient(answer)


@pytest.mark.parametrize("entries, allowed", [
    (READER, False), (OPERATOR, True), ([{"actions": ["*"], "notActions": [WRITE]}], False),
    ([{"actions": ["MICROSOFT.AZUREARCDATA/*"]}], True), ([], False)])
def test_permitted_matches_wildcards_in_any_case_and_honours_not_actions(entries, allowed):
    assert azure_permissions.permitted(entries, WRITE) is allowed


def test_a_reader_is_refused_before_the_write_naming_the_action_and_the_role_file():
    site = FakeSite({"value": READER})
    with pytest.raises(ApiFailure) as refused:
        azure_permissions.require(site, [WRITE], "PUT /fog")
    message = refused.value.message
    assert "PUT /fog was not sent" in message and WRITE in message and AZURE_ROLE_FILE in message
    assert refused.value.details["status"] == 403
    assert site.client.asked == [("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Authorization/permissions",
                                  "2022-04-01")]


@pytest.mark.parametrize("answer", [None, {}, ApiFailure("403 AuthorizationFailed", status=403)])
def test_an_unreadable_list_concludes_nothing(answer):
    azure_permissions.require(FakeSite(answer), [WRITE], "PUT /fog")


def test_an_operator_passes():
    azure_permissions.require(FakeSite({"value": OPERATOR}), [WRITE], "PUT /fog")
