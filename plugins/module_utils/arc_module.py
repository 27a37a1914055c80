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
from .azure_libraries import missing_azure_library
from .azure_options import AZURE_ARGS
from .direct_site import DirectSite
from .errors import ArcError, InvalidInput
from .hidden_inputs import SecretHidingModule
from .site import Site
from .transport import choose_mode


class ArcModule(object):
    def __init__(self, argument_spec, supports_check_mode=True, wait=True, connection_options=True, azure=False,
                 **kwargs):
        """`connection_options`: the module works on one site, with the connection options at the top level (a
        module working on both sites of a pair has them per site). `azure`: the module also works in direct mode,
        with the Azure options (azure_options.py) and connection_mode (transport.py)."""
        spec = dict(connection.CONNECTION_ARGS) if connection_options else {}
        if azure:
            spec.update(AZURE_ARGS)
        if wait:
            spec.update(connection.WAIT_ARGS)
        spec.update(argument_spec)
        # hides a dict kubeconfig's credentials and a pasted private key from every answer, the refusal of the
        # arguments included (hidden_inputs.py)
        self.module = SecretHidingModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        self._require_libraries()
        self._site = None
        self.namespace = None
        self.direct_site = None
        self.mode = None

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
        """Connect to the site the connection options describe (site.py); an unusable connection is an
        InvalidInput error."""
        self._site = Site.connect(self.params)
        self.namespace = self._site.namespace
        return self

    def connect_either(self, timeout=600):
        """Connect through the transport the site uses (transport.py): returns the ModeChoice; in direct mode
        `direct_site` is the DirectSite, else the Kubernetes site is connected as connect() does."""
        self.mode = choose_mode(self.params, self._read_controller)
        if not self.mode.direct:
            if self._site is None:
                self.connect()
            return self.mode
        self._require_azure_libraries()
        try:
            self.direct_site = DirectSite.connect(self.params, timeout)
        except InvalidInput as exc:
            if self.mode.controller is None:
                raise
            # the site chose direct mode: say so, and what the other choice would need
            raise InvalidInput("%s, so the module works through Azure Resource Manager, and %s; connection_mode "
                               "indirect needs a data controller in indirect connection mode" % (
                                   self.mode.reason, exc.message), **exc.details)
        self._site = None
        return self.mode

    def _read_controller(self):
        if self._site is None:
            self.connect()
        return self._site.data_controller(), self._site.label

    def _require_azure_libraries(self):
        missing = missing_azure_library()
        if missing:
            self.module.fail_json(msg=missing_required_lib(missing[0], reason="for connection_mode direct"),
                                  exception=str(missing[1]))

    @property
    def site(self):
        """The site's label for messages (its kubeconfig context and API URL, or its resource group in Azure)."""
        if self.direct_site is not None:
            return self.direct_site.label
        return self._site.label if self._site else None

    @property
    def current_site(self):
        """The connected Site itself (site.py), for code shared with the two-site failover."""
        return self._site

    @property
    def discovery(self):
        return self._site.discovery

    def resources(self, kind, pinned_version=None, name=None):
        return self._site.resources(kind, pinned_version, name)

    def dag_resources(self, api_kind="auto", pinned_version=None, name=None):
        return self._site.dag_resources(api_kind, pinned_version, name)

    def events(self):
        return self._site.events()

    def secrets(self):
        return self._site.secrets()

    def leases(self):
        return self._site.leases()

    def check_data_controller(self):
        self._site.check_data_controller()

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
            self.module.fail_json(msg="%s: unexpected error: %s" % (self.site or "arcdata.sqlmi", exc),
                                  exception=traceback.format_exc())
        _spare_the_shutdown()
        self.module.exit_json(**result)


def _spare_the_shutdown():
    """The answer is ready: keep the interpreter's shutdown from garbage-collecting everything the kubernetes
    package loaded, which took 0.2-0.6 s of every module run (make bench, wait latency) after the answer was
    known. gc.freeze (Python 3.7+) moves the objects alive now out of the collector's reach."""
    if hasattr(gc, "freeze"):
        gc.freeze()
