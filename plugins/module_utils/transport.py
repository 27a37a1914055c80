# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which transport a module uses for a site: the Kubernetes API (indirect connection mode) or Azure Resource
Manager (direct connection mode).

The `connection_mode` option decides when it is set. When it is not: a site whose Kubernetes API is reachable
(kubeconfig options, or the default kubeconfig) says it itself, in its data controller's
`spec.settings.azure.connectionMode`; else Azure options (or AZURE_* variables) mean direct mode; else indirect
mode, as before direct mode existed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from .connection import DEFAULT_KUBECONFIG
from .errors import ArcError

INDIRECT = "indirect"
DIRECT = "direct"
CONNECTION_MODES = [INDIRECT, DIRECT]
# options that only mean something in direct mode: one of them set says the task is meant for Azure
AZURE_OPTIONS = ("subscription_id", "client_id", "secret", "tenant", "profile", "resource_group", "custom_location")
# the variables azure.azcollection (and AWX's Azure credential) set
AZURE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_PROFILE")


class ModeChoice(object):
    """The mode, and why (for messages): `controller` names the data controller that said it, if one did."""

    def __init__(self, mode, reason, controller=None):
        self.mode, self.reason, self.controller = mode, reason, controller

    @property
    def direct(self):
        return self.mode == DIRECT


def kubernetes_given(params, environ=None):
    """Whether the options (or the default kubeconfig) describe a Kubernetes API to ask."""
    environ = os.environ if environ is None else environ
    if params.get("kubeconfig") or params.get("host"):
        return True
    default = (environ.get("KUBECONFIG") or "").split(os.pathsep)[0] or DEFAULT_KUBECONFIG
    return os.path.isfile(os.path.expanduser(default))


def azure_given(params, environ=None):
    environ = os.environ if environ is None else environ
    return any(params.get(option) for option in AZURE_OPTIONS) or any(environ.get(v) for v in AZURE_VARIABLES)


def controller_mode(controller):
    """`direct` or `indirect` as a data controller object says (absent: indirect, Arc's default)."""
    mode = ((((controller.get("spec") or {}).get("settings") or {}).get("azure") or {})
            .get("connectionMode") or INDIRECT).lower()
    return DIRECT if mode == DIRECT else INDIRECT


def choose_mode(params, read_controller, environ=None):
    """The ModeChoice for a site. `read_controller()` returns (data controller object or None, label) of the site's
    Kubernetes API, or raises any ArcError when the API cannot be reached or read; it is called only when the
    option is unset and a Kubernetes API is described."""
    if params.get("connection_mode"):
        return ModeChoice(params["connection_mode"], "connection_mode is %s" % params["connection_mode"])
    if kubernetes_given(params, environ):
        found = _controller(read_controller)
        if found is not None:
            controller, label = found
            mode = controller_mode(controller)
            return ModeChoice(mode, "%s: data controller %r in namespace %r is in %s connection mode" % (
                label, controller["metadata"]["name"], controller["metadata"].get("namespace"), mode),
                controller=controller)
    if azure_given(params, environ):
        return ModeChoice(DIRECT, "connection_mode is not set, no data controller could be read through the "
                                  "Kubernetes API and Azure options are given")
    return ModeChoice(INDIRECT, "connection_mode is not set and no Azure option is given")


def _controller(read_controller):
    try:
        found = read_controller()
    except ArcError:
        return None  # unreachable or unreadable: the Azure options decide
    return found if found and found[0] is not None else None
