"""A sandbox of our own for the conformance tests: its own runtime directory and free ports,
so it never touches a developer's running sandbox. It is started once per test session through
the CLI, exactly as a user starts it, and taken down at the end.
"""
import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml
from kubernetes import client, config

from sandbox.layout import REPO_ROOT, site_files
from sandbox.ops import SiteOps

ARC_GROUP = "sql.arcdata.microsoft.com"


def run_cli(runtime_dir, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "sandbox", "--runtime-dir", str(runtime_dir), *args],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"sandbox {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


class Site:
    """One running sandbox site, as a test sees it."""

    def __init__(self, runtime_dir, name, status):
        self.runtime_dir = runtime_dir
        self.name = name
        self.status = status
        self.files = site_files(runtime_dir, name)
        self.api_url = status["api_url"]
        self.kubeconfig = status["kubeconfig"]
        self.context = status["context"]  # the admin's
        # every credential's context: admin, operator (the shipped operator Role), viewer (the viewer Role)
        self.contexts = status.get("contexts") or {"admin": self.context}
        self.namespace = status["namespace"]
        self.token = self.files.token.read_text().strip()

    def credential_token(self, credential):
        return self.files.token_of(credential).read_text().strip()

    def api_client(self, credential="admin"):
        """A fresh client of the official kubernetes library, configured from the site's kubeconfig (the admin's
        context unless another credential is asked for)."""
        configuration = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, context=self.contexts[credential],
                                client_configuration=configuration)
        configuration.retries = 0  # tests assert what the server answers, without the client's retries
        return client.ApiClient(configuration)

    def custom(self, credential="admin"):
        return client.CustomObjectsApi(self.api_client(credential))

    def core(self, credential="admin"):
        return client.CoreV1Api(self.api_client(credential))

    def kubectl(self, *args, check=True, input=None, timeout=60):
        """kubectl with the site's kubeconfig and a discovery cache of this sandbox's own: ~/.kube/cache may
        hold the discovery of another sandbox that once listened on the same address and port."""
        env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        cache = f"--cache-dir={self.runtime_dir}/kubectl-cache"
        result = subprocess.run(["kubectl", cache, *args], env=env, capture_output=True, text=True, input=input,
                                timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def ops(self):
        return SiteOps(self.files, self.files.load_config())

    def audit(self):
        """Every audit log entry so far."""
        if not self.files.audit_log.exists():
            return []
        return [json.loads(line) for line in self.files.audit_log.read_text().splitlines() if line.strip()]

    def audit_mark(self):
        """A position in the audit log; pass it to `audit_since` to see only later requests."""
        return len(self.audit())

    def audit_since(self, mark):
        return self.audit()[mark:]


class SandboxHandle:
    def __init__(self, runtime_dir):
        self.runtime_dir = runtime_dir
        self.refresh()

    def refresh(self):
        report = json.loads(run_cli(self.runtime_dir, "status", "--json").stdout)
        self.report = report
        self.sites = {name: Site(self.runtime_dir, name, status) for name, status in report["sites"].items()}

    def site(self, name="primary"):
        return self.sites[name]

    def kill(self, name):
        run_cli(self.runtime_dir, "kill", "--site", name)

    def start(self, name):
        run_cli(self.runtime_dir, "start", "--site", name)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("sandbox-runtime")
    # API only: these tests check the Kubernetes API server, which a controller acting on their objects
    # would disturb (the controller has tests of its own)
    run_cli(runtime_dir, "up", "--api-port", "0", "--api-only")
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "down", check=False)


@pytest.fixture
def primary(sandbox):
    return sandbox.site("primary")


@pytest.fixture
def secondary(sandbox):
    return sandbox.site("secondary")


@pytest.fixture
def unique_name():
    """A DNS-1123 name no other test uses."""
    return lambda prefix="t": f"{prefix}-{uuid.uuid4().hex[:8]}"


def sqlmi_body(name, namespace, version="v13", **spec):
    body = {"apiVersion": f"{ARC_GROUP}/{version}", "kind": "SqlManagedInstance",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"tier": "GeneralPurpose", "replicas": 1, "licenseType": "LicenseIncluded",
                     "security": {"adminLoginSecret": f"{name}-login-secret"}}}
    body["spec"].update(spec)
    return body


def fog_body(name, namespace, version="v2", **spec):
    body = {"apiVersion": f"{ARC_GROUP}/{version}", "kind": "FailoverGroup",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"sharedName": "dag1", "sourceMI": "sql-a", "partnerMI": "sql-b",
                     "partnerMirroringURL": "tcp://127.20.0.1:5022", "partnerMirroringCert": "", "role": "primary"}}
    body["spec"].update(spec)
    return body


def to_yaml(*objects):
    return yaml.safe_dump_all(objects, sort_keys=False)
