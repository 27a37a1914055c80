# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_connection: a site's inventory variables become the modules' connection options; what is not set gives no
option, and an indirect-mode inventory gives the kubeconfig options only, as before direct mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.arcdata.sqlmi.plugins.filter.inventory_connection import FilterModule, arc_connection
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_options import AZURE_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.connection import CONNECTION_ARGS, PAIR_SITE_ARGS

INDIRECT_HOST = {"arc_kubeconfig": "/tmp/kubeconfig", "arc_context": "operator@primary", "arc_namespace": "arc",
                 "arc_instance": "sqlprimary", "ansible_connection": "local"}
# what `python -m sandbox up --mode direct` writes for a site (sandbox/inventory.py), besides the kubeconfig
DIRECT_VARIABLES = {"arc_connection_mode": "direct", "arc_azure_subscription_id": "sub-1",
                    "arc_azure_resource_group": "rg-primary", "arc_azure_custom_location": "cl-primary",
                    "arc_azure_client_id": "app-1", "arc_azure_secret": "s3cr3t", "arc_azure_tenant": "tenant-1",
                    "arc_azure_cloud_environment": "https://arm.example/metadata/endpoints?api-version=2022-09-01",
                    "arc_azure_ca_bundle": "/tmp/ca.pem"}


def test_an_indirect_inventory_gives_the_kubeconfig_options_only():
    assert arc_connection(INDIRECT_HOST) == {"kubeconfig": "/tmp/kubeconfig", "context": "operator@primary",
                                             "namespace": "arc"}


def test_a_direct_inventory_gives_every_azure_option_by_its_module_name():
    options = arc_connection(dict(INDIRECT_HOST, **DIRECT_VARIABLES))
    assert options == {"kubeconfig": "/tmp/kubeconfig", "context": "operator@primary", "namespace": "arc",
                       "connection_mode": "direct", "subscription_id": "sub-1", "resource_group": "rg-primary",
                       "custom_location": "cl-primary", "client_id": "app-1", "secret": "s3cr3t", "tenant": "tenant-1",
                       "cloud_environment": DIRECT_VARIABLES["arc_azure_cloud_environment"],
                       "ca_bundle": "/tmp/ca.pem"}


def test_direct_mode_needs_no_kubeconfig_and_takes_the_remaining_azure_options():
    options = arc_connection({"arc_connection_mode": "direct", "arc_azure_resource_group": "rg",
                              "arc_azure_auth_source": "msi", "arc_azure_profile": "prod",
                              "arc_azure_arm_api_version": "2023-01-15-preview"})
    assert options == {"connection_mode": "direct", "resource_group": "rg", "auth_source": "msi", "profile": "prod",
                       "arm_api_version": "2023-01-15-preview"}


def test_unset_null_and_empty_variables_give_no_option():
    """So that the modules' fallbacks (K8S_AUTH_*, AZURE_*) apply as to an omitted option."""
    assert arc_connection({"arc_kubeconfig": "", "arc_context": None, "arc_namespace": "  ",
                           "arc_azure_secret": ""}) == {}


def test_a_kubeconfig_given_as_a_dict_is_passed_as_it_is():
    kubeconfig = {"apiVersion": "v1", "clusters": [], "users": [{"name": "u", "user": {"token": "t"}}]}
    assert arc_connection({"arc_kubeconfig": kubeconfig})["kubeconfig"] is kubeconfig


def test_every_option_it_gives_is_a_connection_option_of_the_modules():
    options = arc_connection(dict(INDIRECT_HOST, arc_azure_auth_source="env", arc_azure_profile="p",
                                  arc_azure_arm_api_version="2024-01-01", **DIRECT_VARIABLES))
    assert set(options) <= set(CONNECTION_ARGS) | set(AZURE_ARGS)
    # and the failover module's per-site entries take them all
    assert set(options) <= set(PAIR_SITE_ARGS)


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters()["arc_connection"] is arc_connection
