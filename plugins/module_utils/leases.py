# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""coordination.k8s.io/v1 Leases of one namespace at one site: read, create, replace.

A replace carries the resourceVersion it was computed from, so two writers cannot both win: the
loser gets 409 Conflict, which is returned (not retried) because only the lock logic knows what
a lost race means.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from .errors import ApiFailure

try:
    from kubernetes import client
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    client = None


class LostRace(Exception):
    """Someone else wrote the Lease between our read and our write."""


class Leases(object):
    def __init__(self, api_client, caller, namespace):
        self.api = client.CoordinationV1Api(api_client)
        self.caller, self.namespace = caller, namespace

    def describe(self, name):
        return "Lease %s/%s" % (self.namespace, name)

    def get(self, name):
        """The Lease as a dict, or None."""
        try:
            lease = self.caller.call("get", self.describe(name), self.api.read_namespaced_lease, name,
                                     self.namespace, _preload_content=False)
        except ApiFailure as failure:
            if failure.details.get("status") == 404:
                return None
            raise
        return _json(lease)

    def create(self, body, dry_run=False):
        """Create the Lease; LostRace when it exists already."""
        name = body["metadata"]["name"]
        kwargs = {"dry_run": "All"} if dry_run else {}
        try:
            return _json(self.caller.call("create", self.describe(name), self.api.create_namespaced_lease,
                                          self.namespace, body, _preload_content=False, **kwargs))
        except ApiFailure as failure:
            if failure.details.get("reason") == "AlreadyExists":
                raise LostRace()
            raise

    def replace(self, body, dry_run=False):
        """Replace the Lease read at body's resourceVersion; LostRace when it changed since."""
        name = body["metadata"]["name"]
        kwargs = {"dry_run": "All"} if dry_run else {}
        try:
            return _json(self.caller.call("update", self.describe(name), self.api.replace_namespaced_lease, name,
                                          self.namespace, body, _preload_content=False, **kwargs))
        except ApiFailure as failure:
            if failure.details.get("status") in (404, 409):
                raise LostRace()
            raise


def _json(response):
    """The body of an unparsed response as a dict: Lease times stay the strings the API sent."""
    return json.loads(response.data)
