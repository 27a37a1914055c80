"""The files of the sandbox's Azure under the runtime directory (`<runtime>/azure/`); the private ones
(principals' secrets, the token signing key, the CA key) are mode 0600.

It has the same pid/ready/log file interface as a site's files, so sandbox/supervisor.py starts and
stops the Azure process like a site component."""
from pathlib import Path

COMPONENT = "arm"


class AzureFiles:
    def __init__(self, azure_dir):
        self.dir = Path(azure_dir)
        self.config = self.dir / "azure.json"
        self.principals = self.dir / "principals.json"
        self.signing_key = self.dir / "token-signing.key"
        self.resources = self.dir / "resources.json"
        self.audit_log = self.dir / "audit.jsonl"
        self.ops_token = self.dir / "ops-token"  # the operations endpoint's (faults), mode 0600
        self.pki = self.dir / "pki"
        self.ca_cert = self.pki / "ca.crt"
        self.ca_key = self.pki / "ca.key"
        self.server_cert = self.pki / "arm.crt"
        self.server_key = self.pki / "arm.key"

    @property
    def runtime_dir(self):
        return self.dir.parent

    def ready_file(self, component=COMPONENT):
        return self.dir / f"{component}.ready"

    def pid_file(self, component=COMPONENT):
        return self.dir / f"{component}.pid"

    def log_file(self, component=COMPONENT):
        return self.dir / f"{component}.log"


def azure_files(runtime_dir):
    return AzureFiles(Path(runtime_dir) / "azure")
