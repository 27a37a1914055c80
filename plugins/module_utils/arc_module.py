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
from .errors import ArcError
from .hidden_inputs import SecretHidingModule
from .site import Site


class ArcModule(object):
    def __init__(self, argument_spec, supports_check_mode=True, wait=True, connection_options=True, **kwargs):
        """`connection_options`: the module works on one site, with the connection options at the top level (a
        module working on both sites of a pair has them per site)."""
        spec = dict(connection.CONNECTION_ARGS) if connection_options else {}
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

    @property
    def site(self):
        """The site's label for messages (its kubeconfig context and API URL)."""
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
