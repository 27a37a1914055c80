# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Manager's bearer-token policy, plus a fresh token when Resource Manager refuses the one it was sent.

azure-mgmt-core's policy answers only a claims challenge (continuous access evaluation). A token Resource Manager
refuses as expired or invalid (401 with `WWW-Authenticate: Bearer error="invalid_token"`: revoked, or this machine's
clock behind Azure's, so that the credential still trusts it) would otherwise fail every later request of the run:
azure-identity hands the cached token back until its own clock says it has expired. So the policy takes a fresh
credential (an empty token cache) and sends the request once more; a second refusal is the caller's failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib (azure_libraries.py)
    ARMChallengeAuthenticationPolicy = object

CHALLENGE_ERROR = re.compile(r'\berror="([^"]*)"')


def challenge_error(header):
    """The `error` parameter of a Bearer challenge (`WWW-Authenticate`), or None."""
    if not header or not header.strip().lower().startswith("bearer"):
        return None
    found = CHALLENGE_ERROR.search(header)
    return found.group(1) if found else None


class RenewingTokenPolicy(ARMChallengeAuthenticationPolicy):
    """ARMChallengeAuthenticationPolicy that, given `renew` (a callable returning a new credential of the same
    source), replaces a refused token by one from a fresh credential and retries the request once."""

    def __init__(self, credential, scope, renew=None):
        super(RenewingTokenPolicy, self).__init__(credential, scope)
        self._renew = renew
        self.renewals = 0

    def on_challenge(self, request, response):
        if super(RenewingTokenPolicy, self).on_challenge(request, response):
            return True
        header = response.http_response.headers.get("WWW-Authenticate")
        if self._renew is None or challenge_error(header) != "invalid_token":
            return False
        self._credential = self._renew()
        self.renewals += 1
        self.authorize_request(request, *self._scopes)
        return True
