# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Paired with AZURE_ARGS in plugins/module_utils/azure_options.py: change both together.
    DOCUMENTATION = r"""
options:
  connection_mode:
    description:
      - How the module reaches the site. C(indirect) is the Kubernetes API (the kubeconfig options; Microsoft retired
        indirectly connected mode in September 2025). C(direct) is Azure Resource Manager (the Azure options below;
        no kubeconfig is needed).
      - When not set, a site whose Kubernetes API is reachable (kubeconfig options, or the default kubeconfig) is
        asked, and its data controller's C(spec.settings.azure.connectionMode) decides. Else C(direct) when an Azure
        option (O(subscription_id), O(client_id), O(secret), O(tenant), O(profile), O(resource_group),
        O(custom_location)) or E(AZURE_SUBSCRIPTION_ID), E(AZURE_CLIENT_ID) or E(AZURE_PROFILE) is set; else
        C(indirect).
      - C(indirect) on a site whose data controller is in direct connection mode is an error before any write.
    type: str
    choices: [indirect, direct]
  auth_source:
    description:
      - Where the Azure credentials come from; the names and the order are those of the azure.azcollection modules.
      - C(auto) tries, in this order, O(profile); O(client_id) with O(secret) and O(tenant); the environment
        (E(AZURE_PROFILE), or E(AZURE_SUBSCRIPTION_ID) with E(AZURE_CLIENT_ID), E(AZURE_SECRET) and E(AZURE_TENANT), as
        the AWX/Automation Controller credential type C(Microsoft Azure Resource Manager) sets them); the
        C([default]) section of C(~/.azure/credentials); and the Azure CLI login (C(az login)).
      - C(cli) uses the Azure CLI login only, C(env) the environment only, C(credential_file) the section of
        C(~/.azure/credentials) that O(profile) names (default C(default)), and C(msi) the managed identity of the
        host (a user-assigned one when O(client_id) or E(AZURE_CLIENT_ID) is set).
      - Falls back to E(ANSIBLE_AZURE_AUTH_SOURCE); when neither is set, C(auto).
      - Only service principals with a client secret, managed identities and the Azure CLI login are supported.
    type: str
    choices: [auto, cli, env, credential_file, msi]
  subscription_id:
    description:
      - The Azure subscription of the resources; wins over the subscription the credential source names.
      - Falls back to E(AZURE_SUBSCRIPTION_ID) (or the profile's C(subscription_id)). With O(auth_source=cli), the
        Azure CLI's default subscription; with O(auth_source=msi), the first subscription the identity can see.
    type: str
  client_id:
    description:
      - The application (client) ID of the service principal, or of a user-assigned managed identity with
        O(auth_source=msi).
      - Falls back to E(AZURE_CLIENT_ID) (or the profile's C(client_id)).
    type: str
  secret:
    description:
      - The service principal's client secret. It is hidden from all output, as is E(AZURE_SECRET).
      - Falls back to E(AZURE_SECRET) (or the profile's C(secret)).
    type: str
  tenant:
    description:
      - The Microsoft Entra tenant (directory) ID of the service principal.
      - Falls back to E(AZURE_TENANT) (or the profile's C(tenant)).
    type: str
  profile:
    description:
      - A section of C(~/.azure/credentials) holding C(subscription_id), C(client_id), C(secret), C(tenant) and
        optionally C(cloud_environment), as azure.azcollection reads it.
      - Falls back to E(AZURE_PROFILE) (after the options, see O(auth_source)).
    type: str
  cloud_environment:
    description:
      - The Azure cloud, by name (C(AzureCloud), C(AzureChinaCloud), C(AzureUSGovernment)), or the https URL of a
        Resource Manager metadata endpoint (C(https://<resource manager>/metadata/endpoints?api-version=2022-09-01))
        for Azure Stack Hub or a private cloud, read once per task. It sets the Resource Manager endpoint, the token
        scope and the Microsoft Entra authority host.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT) (or the profile's C(cloud_environment)); when none is set,
        C(AzureCloud).
    type: str
  ca_bundle:
    description:
      - A file of CA certificates (PEM) to verify Resource Manager's, the metadata endpoint's and the Microsoft Entra
        endpoint's TLS certificates with, instead of the system's trust store.
      - Falls back to E(REQUESTS_CA_BUNDLE).
    type: path
  resource_group:
    description:
      - The Azure resource group of the site's SQL managed instances and failover groups. Required in direct mode.
    type: str
  custom_location:
    description:
      - The custom location of the site's Arc data services, by name (in O(resource_group)) or by resource ID
        (C(/subscriptions/.../providers/Microsoft.ExtendedLocation/customLocations/<name>)); an instance created
        through Resource Manager is placed there. Required to create an instance in direct mode.
    type: str
  arm_api_version:
    description:
      - The C(Microsoft.AzureArcData) API version sent to Resource Manager. The default is stable and has the same
        failover group schema as C(2023-01-15-preview), which C(az sql instance-failover-group-arc) sends.
    type: str
    default: '2024-01-01'
requirements:
  - azure-identity >= 1.19.0, azure-core >= 1.31.0 and azure-mgmt-core >= 1.4.0, for direct mode only
notes:
  - Resource Manager answers 429 and 5xx are retried (after their C(Retry-After)), and long-running operations are
    followed until they end. A principal that lacks a permission gets a failure naming the action and the
    collection's Azure custom role, C(extensions/azure/arcdata-sqlmi-role.json).
"""
