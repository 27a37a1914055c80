"""Where a sandbox lives: its runtime directory, its two sites, and each site's files.

Everything a running sandbox needs is under one runtime directory (git-ignored `.sandbox/` in the
checkout by default, or `$ARC_SANDBOX_DIR`), so tests can run their own sandbox beside a
developer's without touching it.
"""
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_NAMES = ("primary", "secondary")
# Each site has its own loopback address, so both can listen on the usual API port.
DEFAULT_ADDRESSES = {"primary": "127.10.0.1", "secondary": "127.20.0.1"}
DEFAULT_API_PORT = 6443
DEFAULT_NAMESPACE = "arc"
PROFILES = ("current", "2022-01")
# Who may sign in to a site's API, each with a bearer token of its own (sandbox/apiserver/authentication.py):
# the admin (the Arc controller, the tests' direct handles), the collection bound to the shipped operator Role,
# and a read-only viewer bound to the shipped viewer Role (extensions/rbac/).
CREDENTIALS = ("admin", "operator", "viewer")


def default_runtime_dir():
    return Path(os.environ.get("ARC_SANDBOX_DIR") or REPO_ROOT / ".sandbox")


def default_api_port():
    """6443 unless $ARC_SANDBOX_API_PORT says otherwise (0: free ports, for a sandbox beside another)."""
    return int(os.environ.get("ARC_SANDBOX_API_PORT", DEFAULT_API_PORT))


@dataclass
class SiteConfig:
    name: str
    address: str
    api_port: int
    namespace: str
    profile: str
    # controller timings (ready delay, session timeout, ...), see sandbox/controller/settings.py
    timings: dict = field(default_factory=dict)
    # the controller's behaviour profile, see sandbox/controller/behaviour.py
    behaviour: str = "rich"

    @property
    def context(self):
        """The admin's kubeconfig context (the current context)."""
        return self.context_of("admin")

    def context_of(self, credential):
        """The kubeconfig context of one of CREDENTIALS: arc-primary, arc-primary-operator, arc-primary-viewer."""
        return f"arc-{self.name}" if credential == "admin" else f"arc-{self.name}-{credential}"

    @property
    def api_url(self):
        return f"https://{self.address}:{self.api_port}"


class SiteFiles:
    """The files of one site; the private ones are created with mode 0600."""

    def __init__(self, site_dir):
        self.dir = Path(site_dir)
        self.config = self.dir / "site.json"
        self.database = self.dir / "state.db"
        self.pki = self.dir / "pki"
        self.ca_cert = self.pki / "ca.crt"
        self.ca_key = self.pki / "ca.key"
        self.server_cert = self.pki / "apiserver.crt"
        self.server_key = self.pki / "apiserver.key"
        self.token = self.dir / "token"  # the admin's
        self.ops_token = self.dir / "ops-token"
        # signs the site's short-lived tokens (sandbox/apiserver/signed_tokens.py), mode 0600
        self.token_signing_key = self.dir / "token-signing-key"
        self.kubeconfig = self.dir / "kubeconfig"
        self.audit_log = self.dir / "audit.jsonl"

    def token_of(self, credential):
        """The bearer token file of one of CREDENTIALS (mode 0600)."""
        return self.token if credential == "admin" else self.dir / f"{credential}-token"

    @property
    def runtime_dir(self):
        return self.dir.parent.parent

    @property
    def controller_state(self):
        """The controller's own state: its certificate authority, instance keys, transaction logs."""
        return self.dir / "controller"

    def ready_file(self, component):
        """Written by a component once it serves; holds its pid."""
        return self.dir / f"{component}.ready"

    def pid_file(self, component):
        return self.dir / f"{component}.pid"

    def log_file(self, component):
        return self.dir / f"{component}.log"

    def load_config(self):
        return SiteConfig(**json.loads(self.config.read_text()))

    def save_config(self, config):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(json.dumps(asdict(config), indent=2) + "\n")


def site_files(runtime_dir, name):
    return SiteFiles(Path(runtime_dir) / "sites" / name)


def write_private(path, content):
    """Write a secret-bearing file readable by its owner only, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w" if isinstance(content, str) else "wb") as handle:
        handle.write(content)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
