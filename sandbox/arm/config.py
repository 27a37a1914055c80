"""The sandbox's Azure configuration (azure.json): where it listens, its tenant and subscription, each
site's resource group and custom location, token lifetimes and behaviour switches. No secrets here."""
import json
import uuid
from dataclasses import asdict, dataclass, field

# each service of the sandbox has its own loopback address (sites: 127.10.0.1, 127.20.0.1)
ARM_ADDRESS = "127.30.0.1"
LOCATION = "westeurope"
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
# the lifetime of the `operator-short` principal's tokens: short enough that a test sees one expire mid-run
SHORT_TOKEN_LIFETIME_SECONDS = 3


@dataclass
class SiteBinding:
    """How ARM reaches a site: one resource group per site (each site is its own cluster with its own data
    controller, whose settings.azure.resourceGroup names it; a DR pair's instances then live in two groups,
    as two regions' would, so partnerManagedInstanceId must carry the partner's group), one custom location
    per site mapped to the site's namespace."""
    resource_group: str
    custom_location: str
    namespace: str


@dataclass
class AzureConfig:
    port: int
    sites: dict
    address: str = ARM_ADDRESS
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    subscription_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    location: str = LOCATION
    token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS
    short_token_lifetime_seconds: int = SHORT_TOKEN_LIFETIME_SECONDS
    # what ARM answers in Retry-After while an operation runs (clients such as ARMPolling wait that long)
    lro_retry_after_seconds: int = 1
    # how long a write to a site that does not answer is retried before the operation Fails
    site_write_timeout_seconds: float = 30.0
    behaviour: dict = field(default_factory=dict)

    @property
    def base_url(self):
        return f"https://{self.address}:{self.port}"

    @property
    def metadata_url(self):
        """The one URL a client needs (azure.azcollection's cloud_environment accepts a metadata URL)."""
        return f"{self.base_url}/metadata/endpoints?api-version=2019-05-01"

    @property
    def subscription_scope(self):
        return f"/subscriptions/{self.subscription_id}"

    def binding(self, site_name):
        return SiteBinding(**self.sites[site_name])

    def site_of_resource_group(self, resource_group):
        """The site whose resource group this is (ARM names are case-insensitive), or None."""
        return next((name for name, binding in self.sites.items()
                     if binding["resource_group"].lower() == resource_group.lower()), None)

    def resource_group_id(self, site_name):
        return f"{self.subscription_scope}/resourceGroups/{self.binding(site_name).resource_group}"

    def custom_location_id(self, site_name):
        return (f"{self.resource_group_id(site_name)}/providers/Microsoft.ExtendedLocation/customLocations/"
                f"{self.binding(site_name).custom_location}")

    def site_of_custom_location(self, resource_id):
        return next((name for name in self.sites if self.custom_location_id(name).lower() == resource_id.lower()),
                    None)

    def save(self, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path):
        return cls(**json.loads(path.read_text()))


def site_binding(site):
    """The binding of a sandbox site (its SiteConfig): the resource group its data controller names."""
    return asdict(SiteBinding(resource_group=f"arc-sandbox-{site.name}", custom_location=f"arc-{site.name}-location",
                              namespace=site.namespace))
