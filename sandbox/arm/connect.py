"""Connecting the sites' data controllers to the sandbox's Azure, as deploying them in direct mode does:
each DataController's spec.settings.azure says connectionMode direct, with the subscription, resource group
and location ARM knows it by."""
from kubernetes import client, config as kube_config

from ..profiles import DATA_CONTROLLER_NAME


def connect_data_controller(files, site, azure_config):
    configuration = client.Configuration()
    kube_config.load_kube_config(config_file=str(files.kubeconfig), context=site.context,
                                 client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        azure = {"connectionMode": "direct", "subscription": azure_config.subscription_id,
                 "resourceGroup": azure_config.binding(site.name).resource_group, "location": azure_config.location}
        client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
            "arcdata.microsoft.com", "v5", site.namespace, "datacontrollers", DATA_CONTROLLER_NAME,
            {"spec": {"settings": {"azure": azure}}})
