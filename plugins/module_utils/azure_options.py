# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure options of direct mode, for modules to merge into their argument spec.

The environment variables (AZURE_CLIENT_ID, AZURE_SECRET, ...) are not option fallbacks: azure_credentials.py
reads them in azure.azcollection's order, after the options and a named profile, which a fallback could not
express. `auth_source` and `cloud_environment` have no default here for the same reason (None means auto and
AzureCloud, after ANSIBLE_AZURE_AUTH_SOURCE and AZURE_CLOUD_ENVIRONMENT).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from .arm_resources import DEFAULT_API_VERSION

AUTH_SOURCES = ["auto", "cli", "env", "credential_file", "msi"]

# Paired with plugins/doc_fragments/azure.py: change both together. connection_mode has no default: unset, the
# transport is detected (transport.py). `arm_api_version`, not `api_version`: the
# modules' api_version is the version of the Kubernetes custom resources (resources.DAG_KIND_ARGS).
AZURE_ARGS = dict(
    connection_mode=dict(type="str", choices=["indirect", "direct"]),
    auth_source=dict(type="str", choices=AUTH_SOURCES, fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
    subscription_id=dict(type="str"),
    client_id=dict(type="str"),
    secret=dict(type="str", no_log=True),
    tenant=dict(type="str"),
    profile=dict(type="str"),
    cloud_environment=dict(type="str"),
    ca_bundle=dict(type="path"),
    resource_group=dict(type="str"),
    custom_location=dict(type="str"),
    arm_api_version=dict(type="str", default=DEFAULT_API_VERSION),
)
