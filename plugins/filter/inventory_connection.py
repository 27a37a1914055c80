# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_connection: the one mapping from a site's inventory variables (docs/inventory.md) to the modules' connection
options, so that every role's module_defaults and the failover module's per-site entries say it the same way.

A variable that is not set (undefined, null or empty) gives no option, so the module's own fallbacks (K8S_AUTH_*,
AZURE_*, the default kubeconfig) apply as if the option were omitted. An inventory without arc_connection_mode and
arc_azure_* variables (indirect mode) gives exactly the kubeconfig options it gave before direct mode existed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# inventory variable -> module option; the Kubernetes options first, then the Azure ones (azure_options.AZURE_ARGS)
KUBERNETES_VARIABLES = (
    ("arc_kubeconfig", "kubeconfig"),
    ("arc_context", "context"),
    ("arc_namespace", "namespace"),
)
AZURE_VARIABLES = (
    ("arc_connection_mode", "connection_mode"),
    ("arc_azure_subscription_id", "subscription_id"),
    ("arc_azure_resource_group", "resource_group"),
    ("arc_azure_custom_location", "custom_location"),
    ("arc_azure_client_id", "client_id"),
    ("arc_azure_secret", "secret"),
    ("arc_azure_tenant", "tenant"),
    ("arc_azure_cloud_environment", "cloud_environment"),
    ("arc_azure_ca_bundle", "ca_bundle"),
    ("arc_azure_auth_source", "auth_source"),
    ("arc_azure_profile", "profile"),
    ("arc_azure_arm_api_version", "arm_api_version"),
)
CONNECTION_VARIABLES = KUBERNETES_VARIABLES + AZURE_VARIABLES


def _is_set(value):
    """Undefined, null and empty text are 'not set' (an inventory often writes `arc_context: ""` or a Jinja default)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def arc_connection(host_vars):
    """The module options of one site, from its variables (hostvars[inventory_hostname], or any mapping)."""
    options = {}
    for variable, option in CONNECTION_VARIABLES:
        value = host_vars.get(variable) if variable in host_vars else None
        if _is_set(value):
            options[option] = value
    return options


class FilterModule(object):
    def filters(self):
        return {"arc_connection": arc_connection}
