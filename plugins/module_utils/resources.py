# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Arc kinds, and which version of each a site serves, learned with one discovery request.

The Arc CRDs have no conversion, so any served version reads and writes the same objects; the
modules use the most preferred version that serves the kind (or the `api_version` the user
pinned, which costs no request at all). Discovery asks for aggregated discovery
(apidiscovery.k8s.io/v2, Kubernetes 1.30+): one GET /apis answers for every group, version and
resource. A server that does not offer it answers with the plain group list, and then each
version of the Arc group is read (one more request per version).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import rest
from .errors import ArcError

ARC_GROUP = "sql.arcdata.microsoft.com"
DATA_CONTROLLER_GROUP = "arcdata.microsoft.com"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


class Kind(object):
    def __init__(self, group, kind, plural):
        self.group, self.kind, self.plural = group, kind, plural

    @property
    def qualified(self):
        return "%s.%s" % (self.plural, self.group)


SQL_MANAGED_INSTANCE = Kind(ARC_GROUP, "SqlManagedInstance", "sqlmanagedinstances")
FAILOVER_GROUP = Kind(ARC_GROUP, "FailoverGroup", "failovergroups")
DAG = Kind(ARC_GROUP, "Dag", "dags")
DATA_CONTROLLER = Kind(DATA_CONTROLLER_GROUP, "DataController", "datacontrollers")


DAG_KINDS = {"FailoverGroup": FAILOVER_GROUP, "Dag": DAG}


class NotServed(ArcError):
    """The site does not serve a kind; the message says which and what that usually means."""


def get_json(api_client, path, accept="application/json", _request_timeout=None):
    """GET a non-resource path through the client's auth and TLS; returns the decoded body. An answer
    other than 2xx raises ApiException, as the client's own calls do."""
    return rest.request(api_client, "GET", path, accept=accept, _request_timeout=_request_timeout)


def _versions_from_aggregated(document):
    """{group: [(version, {plural, ...}), ...] in preference order} from an APIGroupDiscoveryList."""
    groups = {}
    for item in document.get("items") or []:
        name = (item.get("metadata") or {}).get("name", "")
        groups[name] = [(v["version"], set(r["resource"] for r in v.get("resources") or []))
                        for v in item.get("versions") or []]
    return groups


class Discovery(object):
    """What one site serves; asks the API at most once per module run, and only if needed. With a
    `caller` (service.ApiCaller), discovery requests are retried and their failures reported like
    every other request; `purpose` (the object the module is after) makes such a failure name it."""

    def __init__(self, api_client, site, caller=None):
        self._api_client = api_client
        self.site = site
        self._caller = caller
        self._groups = None
        self.requests = 0

    def _get(self, path, accept="application/json", purpose=None):
        if self._caller is None:
            return get_json(self._api_client, path, accept)
        what = "API discovery %s%s" % (path, " (looking up %s)" % purpose if purpose else "")
        return self._caller.call("get", what, get_json, self._api_client, path, accept)

    def _load(self, purpose=None):
        if self._groups is not None:
            return self._groups
        self.requests += 1
        document = self._get("/apis", AGGREGATED + ",application/json", purpose)
        if document.get("kind") == "APIGroupDiscoveryList":
            self._groups = _versions_from_aggregated(document)
        else:
            self._groups = self._plain(document, purpose)
        return self._groups

    def _plain(self, group_list, purpose=None):
        groups = {}
        for group in group_list.get("groups") or []:
            if group["name"] not in (ARC_GROUP, DATA_CONTROLLER_GROUP):
                continue
            versions = []
            for entry in group.get("versions") or []:
                self.requests += 1
                resources = self._get("/apis/%s" % entry["groupVersion"], purpose=purpose)
                versions.append((entry["version"], set(r["name"] for r in resources.get("resources") or [])))
            preferred = (group.get("preferredVersion") or {}).get("version")
            versions.sort(key=lambda v: v[0] != preferred)
            groups[group["name"]] = versions
        return groups

    def serves(self, kind, purpose=None):
        return any(kind.plural in resources for unused, resources in self._load(purpose).get(kind.group, []))

    def version(self, kind, pinned=None, purpose=None):
        """The version to use for `kind`: the pinned one, or the most preferred that serves it."""
        if pinned:
            return pinned
        for version, resources in self._load(purpose).get(kind.group, []):
            if kind.plural in resources:
                return version
        raise NotServed("%s does not serve %s (%s): is the Arc data controller installed, and is this the "
                        "right cluster and namespace?" % (self.site, kind.qualified, kind.kind))


# Paired with plugins/doc_fragments/dag_kind.py: change both together.
DAG_KIND_ARGS = dict(
    api_kind=dict(type="str", default="auto", choices=["auto", "FailoverGroup", "Dag"]),
    api_version=dict(type="str"),
)
