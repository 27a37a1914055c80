"""Secret hygiene in direct connection mode (issue 15): the DR playbooks run as an operator debugging them runs
them (-vvv --diff, an Ansible log file, custom stats shown) on a pair whose sites are reached through the sandbox's
Azure Resource Manager, with a kubeconfig for the reads (the primary's given as a dict, so its token is a module
argument). Two runs of the drill: the Azure client secret first from the inventory (arc_azure_secret), then from
the environment as AWX's Azure credential sets it (AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT).

Searched for: every Azure principal's client secret (principals.json), the sandbox's token signing key, the
pair's admin password (plain and base64), the sites' bearer tokens, kubeconfig texts and private key lines, and
any access token the sandbox's Entra endpoint issued. The sandbox does not record the tokens it issues, so they are
found by their shape: any JWT (`eyJ<header>.eyJ<claims>.<signature>`) anywhere is a failure, and one that the
sandbox's signing key verifies is named as an issued access token.

Searched in: each run's stdout, stderr and log file; every task result (diffs and set_stats data among them);
the status reports dr_status writes; the pair's resources as Resource Manager returns them (tags hold the
handover record); and every file the runs left under their working directory (the inventory the test wrote,
which holds the secret as its input, excepted)."""
import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
import yaml

from sandbox.arm.files import azure_files
from sandbox.arm.tokens import TokenService

from .conftest import Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs
from .leaks import Artifacts, Secrets, collect_run
from .test_secret_hygiene import _fail_on

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
AZURE_CREDENTIAL_VARS = {"arc_azure_client_id": "AZURE_CLIENT_ID", "arc_azure_secret": "AZURE_SECRET",
                         "arc_azure_tenant": "AZURE_TENANT"}
# what the test itself wrote: the inventory holds the secret as the runs' input, the playbooks nothing of interest
INPUTS = re.compile(r"^(inventory-[0-9a-f]+\.yml|playbook-[0-9a-f]+\.yml)$")
RUN_BOUND = 300


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-hygiene", "--mode", "direct") as sites:
        yield sites


class DirectDrill:
    """Runs the playbooks on one direct-mode pair at -vvv --diff and collects everything the runs leave behind."""

    def __init__(self, sites, workdir, secret_from_environment):
        self.sites, self.workdir = sites, Path(workdir)
        self.ansible = Ansible(sites, workdir)
        self.pairs = PlaybookPairs(sites, workdir)
        self.pair = self.pairs.new("hy")
        primary = self.pair.connection["primary"]
        primary["arc_kubeconfig"] = yaml.safe_load(Path(primary["arc_kubeconfig"]).read_text())
        self.env = {"ANSIBLE_SHOW_CUSTOM_STATS": "1"}
        if secret_from_environment:  # as AWX's "Microsoft Azure Resource Manager" credential passes them
            for site in self.pair.connection.values():
                for variable, environment in AZURE_CREDENTIAL_VARS.items():
                    self.env[environment] = site.pop(variable)
                self.env["AZURE_SUBSCRIPTION_ID"] = site["arc_azure_subscription_id"]
        self.inventory = self.pairs.inventory(self.pair)
        self.secrets, self.artifacts, self.runs = Secrets(), Artifacts(), []
        self.secrets.add_password("the pair's admin password", self.pair.admin_password)
        self.add_sandbox_secrets()

    def add_sandbox_secrets(self):
        """The sites' secrets, the sandbox's Azure keys, and every principal's client secret."""
        self.secrets.add_runtime_dir(self.sites.runtime_dir)
        files = azure_files(self.sites.runtime_dir)
        for name, principal in json.loads(files.principals.read_text()).items():
            self.secrets.add(f"client secret of the Azure principal {name}", principal["secret"])

    def run(self, playbook, check=False, extra_vars=None):
        number = len(self.runs) + 1
        name = f"run {number} {playbook}{' --check' if check else ''}"
        log_path, report_dir = self.workdir / f"ansible-{number}.log", self.workdir / f"reports-{number}"
        env = dict(self.env, ANSIBLE_LOG_PATH=str(log_path), ARC_DR_REPORT_DIR=str(report_dir))
        run = self.ansible.run(f"arcdata.sqlmi.{playbook}", inventory=self.inventory, extra_vars=extra_vars,
                               check=check, diff=True, verbosity=3, env=env, timeout=RUN_BOUND)
        self.runs.append(name)
        self._collect(name, run, log_path, report_dir)
        if run.rc != 0:  # pytest.fail, not assert: the Run's repr would print the secrets looked for
            pytest.fail(f"{name}: rc {run.rc}\n" + self.secrets.redact(run.stdout)[-4000:] + "\n"
                        + self.secrets.redact(run.stderr)[-2000:], pytrace=False)
        return run

    def _collect(self, name, run, log_path, report_dir):
        collect_run(self.artifacts, name, run, log_path, report_dir)
        self._collect_resources(name)

    def _collect_resources(self, name):
        """The pair's resources as Resource Manager shows them (records keep the shown document in "resource")."""
        records = json.loads(azure_files(self.sites.runtime_dir).resources.read_text())["records"]
        for resource_id, record in records.items():
            if self.pair.tag in resource_id:
                self.artifacts.add_structure(f"{name}: resource {resource_id}", record["resource"])

    def collect_working_dir(self):
        """Every file the runs left under their working directory (Ansible's temp dir, task logs, certificates)."""
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file() and not INPUTS.match(path.name):
                self.artifacts.add(f"file {path.relative_to(self.workdir)}", path.read_text(errors="replace"))


def _drill(drill):
    drill.run("dr_setup")
    drill.run("failover_planned", check=True)
    drill.run("failover_planned")
    drill.run("dr_status")


def _issued_tokens_named(drill):
    """Every JWT-shaped string of the artifacts becomes a secret: named an issued access token when the sandbox's
    signing key verifies it, else an unknown JWT (a JWT is a bearer credential: none belongs in the output)."""
    key = azure_files(drill.sites.runtime_dir).signing_key.read_text().strip()
    for text in list(drill.artifacts.texts.values()):
        for candidate in JWT_SHAPE.findall(text):
            try:
                jwt.decode(candidate, key, algorithms=["HS256"], options={"verify_aud": False, "verify_exp": False})
                drill.secrets.add("an access token the sandbox's Entra endpoint issued", candidate)
            except jwt.InvalidTokenError:
                drill.secrets.add("a JWT-shaped string (a bearer token of unknown origin)", candidate)


def _token_requests(drill, since):
    lines = azure_files(drill.sites.runtime_dir).audit_log.read_text().splitlines()[since:]
    return [entry for entry in map(json.loads, filter(None, lines))
            if entry["method"] == "POST" and entry["path"].endswith("/oauth2/v2.0/token") and entry["status"] == 200]


def _assert_the_search_means_something(drill, tokens_issued):
    names, texts = drill.secrets.names(), drill.artifacts.texts
    everything = "\n".join(texts.values())
    assert tokens_issued, "the runs got no access token from the sandbox's Entra endpoint"
    # the shape searched for is the shape of what the sandbox's Entra endpoint issues
    key = azure_files(drill.sites.runtime_dir).signing_key.read_text().strip()
    sample = TokenService(key, "issuer", "tenant", ["https://management.azure.com"]).issue(
        SimpleNamespace(client_id="client", object_id="object"), "https://management.azure.com", 60)
    assert JWT_SHAPE.fullmatch(sample), "the JWT pattern does not match a token of the sandbox"
    assert "client secret of the Azure principal operator" in names, sorted(names)
    assert any(name.startswith("bearer token of azure/token-signing.key") for name in names), sorted(names)
    for site in ("primary", "secondary"):
        assert f"kubeconfig text sites/{site}/kubeconfig" in names, sorted(names)
    assert "ESTABLISH LOCAL CONNECTION" in everything, "the runs were not at -vvv"
    assert "certificate-authority-data" in everything, "the dict kubeconfig was not shown with the module arguments"
    assert "admin_password" in everything, "the instance task's arguments were not shown"
    assert "client_id" in everything, "the Azure options were not shown with the module arguments"
    assert any(name.endswith(", diff") for name in texts), "no task showed a diff"
    assert "CUSTOM STATS" in everything, "custom stats were not shown"
    assert any(" resource /subscriptions/" in name for name in texts), "no resource of the pair read from ARM"
    assert any("status report" in name for name in texts), "dr_status wrote no report"
    assert any(name.startswith("file ") for name in texts), "no file of the working directory searched"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("secret_from_environment", [False, True], ids=["secret-in-inventory", "AZURE_SECRET"])
def test_no_direct_mode_playbook_run_shows_a_secret(direct_sites, tmp_path, secret_from_environment):
    drill = DirectDrill(direct_sites, tmp_path, secret_from_environment)
    audit_mark = len(azure_files(direct_sites.runtime_dir).audit_log.read_text().splitlines())
    started = time.monotonic()
    _drill(drill)
    drill.collect_working_dir()
    drill.add_sandbox_secrets()  # the mirroring keys of the pair's instances exist since dr_setup
    _issued_tokens_named(drill)
    _assert_the_search_means_something(drill, _token_requests(drill, audit_mark))
    leaks = drill.artifacts.leaks(drill.secrets)
    print(f"\n{len(drill.runs)} runs in {time.monotonic() - started:.0f} s; {len(drill.secrets.values)} secret values "
          f"searched in {len(drill.artifacts.texts)} artifacts ({drill.artifacts.size() // 1024} KiB)")
    _fail_on(leaks)
