# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A token Resource Manager refuses (revoked, or this machine's clock behind Azure's) is replaced by a fresh
credential's, and the request sent once more (arm_token_policy.py), against the fake ARM of conftest.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_token_policy import challenge_error
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure

FOG = "/subscriptions/sub-1/resourceGroups/rg-dr/providers/Microsoft.AzureArcData/sqlManagedInstances/mi-dr" \
      "/failoverGroups/fog-1"
API = "2024-01-01"
EXPIRED = {"WWW-Authenticate": 'Bearer authorization_uri="https://login.example/t", error="invalid_token", '
                               'error_description="The access token has expired."'}


class Renewals(object):
    """A `renew` callable: each call a new credential with a new token."""

    def __init__(self, arm):
        self.arm = arm
        self.made = []

    def __call__(self):
        self.made.append(self.arm.credential_with("fresh-token-%d" % (len(self.made) + 1)))
        return self.made[-1]


def test_an_expired_token_is_replaced_by_a_fresh_credentials_and_the_request_sent_again(arm):
    arm.fake.arm_error("GET", FOG, 401, "ExpiredAuthenticationToken", "The access token has expired.", EXPIRED)
    arm.fake.answer("GET", FOG, 200, {"name": "fog-1"})
    renew = Renewals(arm)
    client = arm.client(renew=renew)
    assert client.get(FOG, API) == {"name": "fog-1"}
    assert [r.headers["Authorization"] for r in arm.fake.requests] == ["Bearer fake-arm-token", "Bearer fresh-token-1"]
    assert len(renew.made) == 1
    assert client.get(FOG, API) == {"name": "fog-1"}  # later requests keep the fresh token
    assert arm.fake.requests[-1].headers["Authorization"] == "Bearer fresh-token-1" and len(renew.made) == 1


def test_a_token_refused_again_after_the_renewal_is_the_callers_failure(arm):
    arm.fake.arm_error("GET", FOG, 401, "InvalidAuthenticationToken", "The access token is invalid.", EXPIRED)
    renew = Renewals(arm)
    with pytest.raises(ApiFailure) as caught:
        arm.client(renew=renew).get(FOG, API)
    assert caught.value.details["status"] == 401 and len(arm.fake.requests) == 2 and len(renew.made) == 1


@pytest.mark.parametrize("headers", [None, {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}],
                         ids=["no challenge", "another error"])
def test_other_refusals_are_not_retried(arm, headers):
    arm.fake.arm_error("GET", FOG, 401, "InvalidAuthenticationToken", "The access token is invalid.", headers)
    renew = Renewals(arm)
    with pytest.raises(ApiFailure):
        arm.client(renew=renew).get(FOG, API)
    assert len(arm.fake.requests) == 1 and renew.made == []


@pytest.mark.parametrize("header, error", [
    ('Bearer authorization_uri="https://x", error="invalid_token"', "invalid_token"),
    ('bearer error="insufficient_claims", claims="e30="', "insufficient_claims"),
    ('Basic realm="x", error="invalid_token"', None),
    ('Bearer authorization_uri="https://x"', None),
    (None, None),
])
def test_the_challenges_error(header, error):
    assert challenge_error(header) == error
