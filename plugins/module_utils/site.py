# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Arc site as the modules reach it: its Kubernetes API client, its label for messages, the namespace of its
data controller, one discovery, and the kinds of objects the collection reads and writes there.

A single-site module has one Site (ArcModule.connect); the two-site failover has one per site, each with its own
client, so that both can be watched at the same time."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import connection
from .errors import InvalidInput
from .leases import Leases
from .resources import DAG, DAG_KINDS, DATA_CONTROLLER, FAILOVER_GROUP, Discovery
from .service import ApiCaller, CustomResources, Events, Secrets
from .transport import DIRECT, controller_mode


class Site(object):
    def __init__(self, client, label, namespace):
        self.client, self.label, self.namespace = client, label, namespace
        self.caller = ApiCaller(label)
        self.discovery = Discovery(client, label, self.caller)

    @classmethod
    def connect(cls, params, label=None):
        """The site the connection options describe; an unusable connection is an InvalidInput error that names
        the option. `label` (an inventory host, say) goes before the connection's own label in messages."""
        try:
            client, described = connection.api_client(params)
        except connection.SiteConnectionError as exc:
            raise InvalidInput("%s%s" % ("site %s: " % label if label else "", exc))
        namespace = connection.default_namespace(params)
        named = "site %s (%s)" % (label, described) if label else described
        if not namespace:
            raise InvalidInput("%snamespace is not set and the kubeconfig context has no namespace: set namespace to "
                               "the namespace of the Arc data controller (the az --k8s-namespace option)"
                               % ("%s: " % named if label else ""))
        return cls(client, named, namespace)

    def _purpose(self, kind, name=None):
        """The object a discovery request is made for, so that its failure names it."""
        return "%s %s/%s" % (kind.qualified, self.namespace, name) if name else \
            "%s in namespace %s" % (kind.qualified, self.namespace)

    def resources(self, kind, pinned_version=None, name=None):
        """The kind's resources in the namespace; `name` (the object the module is after) is named when the
        discovery of the kind's version fails."""
        version = self.discovery.version(kind, pinned_version, self._purpose(kind, name))
        return CustomResources(self.client, self.caller, kind, version, self.namespace)

    def dag_resources(self, api_kind="auto", pinned_version=None, name=None):
        """(layout, resources) of the site's DAG kind: FailoverGroup when served, else the legacy Dag."""
        layout = api_kind
        if api_kind == "auto":
            if self.discovery.serves(FAILOVER_GROUP, self._purpose(FAILOVER_GROUP, name)):
                layout = "FailoverGroup"
            elif self.discovery.serves(DAG):
                layout = "Dag"
            else:
                raise InvalidInput("%s serves neither %s nor %s: is the Arc data controller installed?" % (
                    self.label, FAILOVER_GROUP.qualified, DAG.qualified))
        return layout, self.resources(DAG_KINDS[layout], pinned_version, name)

    def events(self):
        return Events(self.client, self.caller, self.namespace)

    def secrets(self):
        return Secrets(self.client, self.caller, self.namespace)

    def leases(self):
        return Leases(self.client, self.caller, self.namespace)

    def data_controller(self):
        """The namespace's Arc data controller object, or None when there is none."""
        controllers = self.resources(DATA_CONTROLLER).list().get("items") or []
        return controllers[0] if controllers else None

    def check_data_controller(self):
        """Before writing: the namespace has an Arc data controller, in indirect connection mode (the only
        mode in which Arc takes instructions through the Kubernetes API, as `az ... --use-k8s` checks)."""
        controller = self.data_controller()
        if controller is None:
            raise InvalidInput("%s: no Arc data controller in namespace %r: namespace must be the namespace of the "
                               "site's data controller" % (self.label, self.namespace))
        if controller_mode(controller) == DIRECT:
            raise InvalidInput("%s: data controller %r in namespace %r is in direct connection mode: Arc manages its "
                               "instances and failover groups through Azure Resource Manager, not the Kubernetes API; "
                               "connection_mode indirect needs a data controller in indirect connection mode: set "
                               "connection_mode: direct (or leave it unset) with the Azure options (resource_group, "
                               "custom_location, credentials)"
                               % (self.label, controller["metadata"]["name"], self.namespace),
                               option="connection_mode", value="indirect")
