"""Direct mode for a sandbox: create the sandbox's Azure (configuration, principals, certificate), connect
the sites' data controllers, start and stop its process, and say what the inventory and status show of it.
`python -m sandbox up --mode direct` calls this after the sites are up."""
import socket
from types import SimpleNamespace

from .. import inventory, pki, supervisor
from ..ops import AzureOps
from ..supervisor import SandboxError
from . import principals
from .behaviour import ArmBehaviour
from .config import ARM_ADDRESS, AzureConfig, site_binding
from .connect import connect_data_controller
from .files import COMPONENT, azure_files


def _free_port(address):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class DirectMode:
    def __init__(self, runtime_dir):
        self.files = azure_files(runtime_dir)

    def enabled(self):
        return self.files.config.exists()

    def config(self):
        return AzureConfig.load(self.files.config)

    @staticmethod
    def parse_behaviour(behaviour_text):
        """The behaviour switches of `--arm-behaviour`, or SandboxError naming the known ones."""
        try:
            return ArmBehaviour.parse(behaviour_text)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None

    def create(self, sites, api_port, token_lifetime=None, behaviour_text=None):
        """The configuration of a new sandbox's Azure."""
        behaviour = self.parse_behaviour(behaviour_text)
        config = AzureConfig(port=api_port or _free_port(ARM_ADDRESS),
                             sites={name: site_binding(site) for name, site in sites.items()}, behaviour=behaviour)
        if token_lifetime:
            config.token_lifetime_seconds = int(token_lifetime)
        config.save(self.files.config)
        principals.save(self.files.principals, principals.create(config))

    def mode_of(self, sandbox, wanted=None):
        """The mode `sandbox` comes up in: an existing sandbox keeps its own (SandboxError if `wanted` is the
        other one), a new one is `wanted`, indirect by default."""
        current = ("direct" if self.enabled() else "indirect") if sandbox.exists() else None
        if current and wanted and wanted != current:
            raise SandboxError(f"the sandbox in {sandbox.runtime_dir} runs in {current} mode; "
                               f"run `python -m sandbox down` before starting it in {wanted} mode")
        return current or wanted or "indirect"

    def up(self, sandbox, api_port, token_lifetime=None, behaviour_text=None):
        """After `sandbox`'s sites are up: its Azure (created on first use), and the inventory with the
        direct-mode variables in place of the one the sites' start wrote."""
        sites = sandbox.sites()
        if not self.enabled():
            self.create(sites, api_port, token_lifetime, behaviour_text)
        self.start(sites, sandbox.files)
        inventory.write(sandbox.inventory_path, sites, sandbox.files, sandbox.admin_password(),
                        azure=self.inventory_settings())

    def start(self, sites, files_by_site):
        config = self.config()
        pki.ensure_service_pki(self.files, "arc-sandbox-azure", config.address)
        for name, site in sites.items():
            connect_data_controller(files_by_site[name], site, config)
        supervisor.start(self.files, COMPONENT)
        supervisor.wait_component_ready(self.files, SimpleNamespace(name="azure"), COMPONENT)

    def ops(self):
        """The client of this Azure's operations endpoint (faults, tokens)."""
        return AzureOps(self.files, self.config().base_url)

    def stop(self, hard=False):
        supervisor.stop(self.files, COMPONENT, hard=hard)

    def status(self):
        config = self.config()
        pid = supervisor.running_pid(self.files, COMPONENT)
        return {"running": bool(pid), "pid": pid, "url": config.base_url, "metadata_url": config.metadata_url,
                "tenant_id": config.tenant_id, "subscription_id": config.subscription_id,
                "ca_bundle": str(self.files.ca_cert), "principals_file": str(self.files.principals),
                "audit_log": str(self.files.audit_log), "behaviour": config.behaviour,
                "sites": config.sites}

    def inventory_settings(self, principal="operator"):
        """Per site: the host variables of direct mode (the secret is the principal's; the inventory is 0600)."""
        config = self.config()
        credential = principals.load(self.files.principals)[principal]
        return {name: {"arc_connection_mode": "direct",
                       "arc_azure_subscription_id": config.subscription_id,
                       "arc_azure_resource_group": binding["resource_group"],
                       "arc_azure_custom_location": binding["custom_location"],
                       "arc_azure_client_id": credential.client_id,
                       "arc_azure_secret": credential.secret,
                       "arc_azure_tenant": config.tenant_id,
                       "arc_azure_cloud_environment": config.metadata_url,
                       "arc_azure_ca_bundle": str(self.files.ca_cert)}
                for name, binding in config.sites.items()}
