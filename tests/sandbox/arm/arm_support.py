"""The sandbox's Azure as the tests drive it: azure-identity credentials and azure-mgmt-core's
ARMPipelineClient with ARMPolling (what the collection uses), over the sandbox CA."""
import json

from azure.core import PipelineClient
from azure.core.pipeline import policies
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.mgmt.core.polling.arm_polling import ARMPolling

from sandbox.arm.files import azure_files

INSTANCE_VERSION = "2024-01-01"
FOG_VERSION = "2024-01-01"


class Azure:
    """The sandbox's Azure: its status (from `status --json`) and principals (principals.json)."""

    def __init__(self, runtime_dir, status):
        self.status = status
        self.url = status["url"]
        self.ca_bundle = status["ca_bundle"]
        self.tenant = status["tenant_id"]
        self.subscription = status["subscription_id"]
        self.sites = status["sites"]
        self.files = azure_files(runtime_dir)
        self.principals = json.loads(self.files.principals.read_text())
        self.scope = f"{self.url}/.default"

    def credential(self, principal="operator", secret=None):
        entry = self.principals[principal]
        return ClientSecretCredential(self.tenant, entry["client_id"], secret or entry["secret"], authority=self.url,
                                      disable_instance_discovery=True, connection_verify=self.ca_bundle)

    def client(self, principal="operator"):
        return Arm(self, self.credential(principal))

    def resource_group(self, site):
        return self.sites[site]["resource_group"]

    def custom_location_id(self, site):
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group(site)}/providers/"
                f"Microsoft.ExtendedLocation/customLocations/{self.sites[site]['custom_location']}")

    def instance_id(self, site, name):
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group(site)}/providers/"
                f"Microsoft.AzureArcData/sqlManagedInstances/{name}")

    def audit(self):
        if not self.files.audit_log.exists():
            return []
        return [json.loads(line) for line in self.files.audit_log.read_text().splitlines() if line.strip()]


class Arm:
    """An ARM client of one principal: raw requests, and long-running ones through ARMPolling."""

    def __init__(self, azure, credential):
        self.azure = azure
        self.pipeline = ARMPipelineClient(base_url=azure.url, connection_verify=azure.ca_bundle, policies=[
            policies.RequestIdPolicy(), policies.HeadersPolicy(), policies.UserAgentPolicy("arm-sandbox-tests"),
            policies.RetryPolicy(retry_total=2),
            ARMChallengeAuthenticationPolicy(credential, azure.scope), policies.NetworkTraceLoggingPolicy()])
        # for requests with a token of the test's own (or none): the same client without authentication policy
        self.unauthenticated = PipelineClient(base_url=azure.url, connection_verify=azure.ca_bundle,
                                              policies=[policies.HeadersPolicy(), policies.RetryPolicy(retry_total=0)])

    def send(self, method, path, version, body=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        request = HttpRequest(method, f"{self.azure.url}{path}", params={"api-version": version}, json=body,
                              headers=headers)
        return (self.unauthenticated if token is not None else self.pipeline).send_request(request)

    def begin(self, method, path, version, body=None):
        """A long-running PUT or DELETE, as a generated SDK's begin_* runs it: the initial answer, then ARMPolling
        on its Azure-AsyncOperation until the operation ends."""
        request = HttpRequest(method, f"{self.azure.url}{path}", params={"api-version": version}, json=body)
        initial = self.pipeline.send_request(request, _return_pipeline_response=True)
        if initial.http_response.status_code >= 400:
            initial.http_response.raise_for_status()

        def result(pipeline_response):
            response = pipeline_response.http_response
            return response.json() if response.status_code != 204 and response.text() else None
        return LROPoller(self.pipeline, initial, result, ARMPolling(timeout=0.2))


def instance_body(azure, site, licence="LicenseIncluded", password="S3cure!Passw0rd"):
    """An ARM instance as a client creates one: BusinessCritical, 3 replicas, on the site's custom location."""
    return {"location": "westeurope",
            "extendedLocation": {"type": "CustomLocation", "name": azure.custom_location_id(site)},
            "sku": {"name": "vCore", "tier": "BusinessCritical", "dev": True},
            "properties": {"licenseType": licence,
                           "basicLoginInformation": {"username": "dbadmin", "password": password},
                           "k8sRaw": {"spec": {"replicas": 3, "scheduling": {"default": {"resources": {
                               "requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}}}}}}


def instance_path(azure, site, name):
    return azure.instance_id(site, name)
