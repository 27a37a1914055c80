# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection does the same way: connection and wait options, the
missing-library check, one API client and one discovery per run, the namespace, the data
controller check before writes, and errors reported with their details."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import traceback

from ansible.module_utils.basic import missing_required_lib

from . import certificates, connection
from .errors import ArcError, InvalidInput
from .hidden_inputs import SecretHidingModule
from .resources import DAG, DAG_KINDS, DATA_CONTROLLER, FAILOVER_GROUP, Discovery
from .leases import Leases
from .service import ApiCaller, CustomResources, Events, Secrets


class ArcModule(object):
    def __init__(self, argument_spec, supports_check_mode=True, wait=True, **kwargs):
        spec = dict(connection.CONNECTION_ARGS)
        if wait:
            spec.update(connection.WAIT_ARGS)
        spec.update(argument_spec)
        # hides a dict kubeconfig's credentials and a pasted private key from every answer, the refusal of the
        # arguments included (hidden_inputs.py)
        self.module = SecretHidingModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        self._require_libraries()
        self._client = self._site = self._discovery = self._caller = None
        self.namespace = None

    def _require_libraries(self):
        if not connection.HAS_KUBERNETES:
            self.module.fail_json(msg=missing_required_lib("kubernetes"),
                                  exception=str(connection.KUBERNETES_IMPORT_ERROR))
        if not certificates.HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography"),
                                  exception=str(certificates.CRYPTOGRAPHY_IMPORT_ERROR))

    @property
    def check_mode(self):
        return self.module.check_mode

    # -- the site ----------------------------------------------------------------------------------
    def connect(self):
        """Client, site label and namespace; an unusable connection is an InvalidInput error."""
        try:
            self._client, self._site = connection.api_client(self.params)
        except connection.SiteConnectionError as exc:
            raise InvalidInput(str(exc))
        self.namespace = connection.default_namespace(self.params)
        if not self.namespace:
            raise InvalidInput("namespace is not set and the kubeconfig context has no namespace: set namespace to "
                               "the namespace of the Arc data controller (the seed's --k8s-namespace)")
        self._caller = ApiCaller(self._site)
        self._discovery = Discovery(self._client, self._site, self._caller)
        return self

    @property
    def site(self):
        return self._site

    @property
    def discovery(self):
        return self._discovery

    def _purpose(self, kind, name=None):
        """The object a discovery request is made for, so that its failure names it."""
        return "%s %s/%s" % (kind.qualified, self.namespace, name) if name else \
            "%s in namespace %s" % (kind.qualified, self.namespace)

    def resources(self, kind, pinned_version=None, name=None):
        """The kind's resources in the namespace; `name` (the object the module is after) is named when the
        discovery of the kind's version fails."""
        version = self._discovery.version(kind, pinned_version, self._purpose(kind, name))
        return CustomResources(self._client, self._caller, kind, version, self.namespace)

    def dag_resources(self, api_kind="auto", pinned_version=None, name=None):
        """(layout, resources) of the site's DAG kind: FailoverGroup when served, else the legacy Dag."""
        layout = api_kind
        if api_kind == "auto":
            if self._discovery.serves(FAILOVER_GROUP, self._purpose(FAILOVER_GROUP, name)):
                layout = "FailoverGroup"
            elif self._discovery.serves(DAG):
                layout = "Dag"
            else:
                raise InvalidInput("%s serves neither %s nor %s: is the Arc data controller installed?" % (
                    self._site, FAILOVER_GROUP.qualified, DAG.qualified))
        return layout, self.resources(DAG_KINDS[layout], pinned_version, name)

    def events(self):
        return Events(self._client, self._caller, self.namespace)

    def secrets(self):
        return Secrets(self._client, self._caller, self.namespace)

    def leases(self):
        return Leases(self._client, self._caller, self.namespace)

    def check_data_controller(self):
        """Before writing: the namespace has an Arc data controller, in indirect connection mode (the only
        mode in which Arc takes instructions through the Kubernetes API, as `az ... --use-k8s` checks)."""
        controllers = self.resources(DATA_CONTROLLER).list().get("items") or []
        if not controllers:
            raise InvalidInput("%s: no Arc data controller in namespace %r: namespace must be the namespace of the "
                               "site's data controller" % (self._site, self.namespace))
        controller = controllers[0]
        mode = ((((controller.get("spec") or {}).get("settings") or {}).get("azure") or {})
                .get("connectionMode") or "").lower()
        if mode == "direct":
            raise InvalidInput("%s: data controller %r in namespace %r is in direct connection mode: Arc manages its "
                               "instances and failover groups through Azure Resource Manager, not the Kubernetes API; "
                               "this collection needs a data controller in indirect connection mode"
                               % (self._site, controller["metadata"]["name"], self.namespace))

    # -- running -----------------------------------------------------------------------------------
    def run(self, work):
        """Call work(self) -> result dict; report ArcError with its details, anything else with a traceback."""
        try:
            result = work(self)
        except ArcError as exc:
            details = dict((k, v) for k, v in exc.details.items() if v is not None)
            _spare_the_shutdown()
            self.module.fail_json(msg=exc.message, **details)
        except Exception as exc:  # pylint: disable=broad-except
            _spare_the_shutdown()
            self.module.fail_json(msg="%s: unexpected error: %s" % (self._site or "arcdata.sqlmi", exc),
                                  exception=traceback.format_exc())
        _spare_the_shutdown()
        self.module.exit_json(**result)


def _spare_the_shutdown():
    """The answer is ready: keep the interpreter's shutdown from garbage-collecting everything the kubernetes
    package loaded, which took 0.2-0.6 s of every module run (make bench, wait latency) after the answer was
    known. gc.freeze (Python 3.7+) moves the objects alive now out of the collector's reach."""
    if hasattr(gc, "freeze"):
        gc.freeze()
