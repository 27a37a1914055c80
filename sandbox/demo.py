"""`make demo`: two Arc sites, a DR pair set up by hand with kubectl (the seed document's four
steps), writes replicated across, and a planned failover with no loss, then a failback.

The playbooks of later releases replace the kubectl steps; until then this is the walk-through.
A sandbox that was already running is reused and left running; one the demo started, it stops.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .control import Sandbox
from .layout import REPO_ROOT, default_api_port, default_runtime_dir
from .sqlclient import SqlClient, endpoint_of
from .supervisor import SandboxError

PRIMARY_MI, SECONDARY_MI, DAG = "sqlprimary", "sqlsecondary", "dagtest"
INSTANCE_MANIFEST = """apiVersion: v1
kind: Secret
metadata: {{name: {name}-login-secret}}
type: Opaque
stringData: {{username: dbadmin, password: "Demo-Passw0rd!"}}
---
apiVersion: sql.arcdata.microsoft.com/v13
kind: SqlManagedInstance
metadata: {{name: {name}}}
spec:
  tier: BusinessCritical
  replicas: 3
  licenseType: {license}
  security: {{adminLoginSecret: {name}-login-secret}}
  scheduling: {{default: {{resources: {{requests: {{cpu: "2", memory: 4Gi}}, limits: {{cpu: "2", memory: 4Gi}}}}}}}}
"""


class Demo:
    def __init__(self, report, workdir):
        self.sites = report["sites"]
        self.workdir = workdir

    @staticmethod
    def say(text):
        print(f"\n==> {text}", flush=True)

    def kubectl(self, site, *args, stdin=None, show=True):
        kubeconfig = self.sites[site]["kubeconfig"]
        if show:
            print(f"$ KUBECONFIG={os.path.relpath(kubeconfig)} kubectl {' '.join(args)}", flush=True)
        result = subprocess.run(["kubectl", *args], env=dict(os.environ, KUBECONFIG=kubeconfig), input=stdin,
                                capture_output=True, text=True, check=False)
        if show:
            print((result.stdout + result.stderr).rstrip(), flush=True)
        if result.returncode != 0:
            raise SandboxError(f"kubectl {' '.join(args)} on site {site} failed: {result.stderr.strip()}")
        return result.stdout

    def sandbox_cli(self, *args):
        print(f"$ python -m sandbox {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, "-m", "sandbox", "--runtime-dir", str(default_runtime_dir()),
                                 *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SandboxError(f"python -m sandbox {' '.join(args)} failed: {result.stderr.strip()}")
        return json.loads(result.stdout)

    def create_instances(self):
        self.say("Step 1-2: the instance on the primary site, and a DR instance (licence DisasterRecovery) "
                 "on the secondary site")
        for site, name, license_type in (("primary", PRIMARY_MI, "LicenseIncluded"),
                                         ("secondary", SECONDARY_MI, "DisasterRecovery")):
            self.kubectl(site, "apply", "-f", "-", stdin=INSTANCE_MANIFEST.format(name=name, license=license_type))
        for site, name in (("primary", PRIMARY_MI), ("secondary", SECONDARY_MI)):
            self.kubectl(site, "wait", f"sqlmi/{name}", "--for=jsonpath={.status.state}=Ready", "--timeout=60s")
            self.kubectl(site, "get", "sqlmi")

    def copy_certificates(self):
        self.say("Step 3: each instance's mirroring certificate and endpoint (the seed's get-mirroring-cert)")
        facts = {}
        for site, name in (("primary", PRIMARY_MI), ("secondary", SECONDARY_MI)):
            pem = self.kubectl(site, "get", "sqlmi", name, "-o",
                               "jsonpath={.status.highAvailability.mirroringCertificate}", show=False)
            path = self.workdir / f"{name}.pem"
            path.write_text(pem.replace("\r\n", "\n"))
            url = "tcp://" + self.kubectl(site, "get", "sqlmi", name, "-o",
                                          "jsonpath={.status.endpoints.mirroring}", show=False)
            print(f"{name}: certificate saved to {path.name} ({len(pem)} bytes), mirroring URL {url}")
            facts[site] = {"pem": pem, "url": url}
        return facts

    def create_failover_groups(self, facts):
        self.say("Step 4: the failover group (DAG) on both sites, each pinned to its partner's certificate")
        for site, local, partner, role in (("primary", PRIMARY_MI, SECONDARY_MI, "primary"),
                                           ("secondary", SECONDARY_MI, PRIMARY_MI, "secondary")):
            other = "secondary" if site == "primary" else "primary"
            body = {"apiVersion": "sql.arcdata.microsoft.com/v2", "kind": "FailoverGroup",
                    "metadata": {"name": DAG},
                    "spec": {"sharedName": DAG, "sourceMI": local, "partnerMI": partner,
                             "partnerMirroringURL": facts[other]["url"],
                             "partnerMirroringCert": facts[other]["pem"], "partnerSyncMode": "async", "role": role}}
            self.kubectl(site, "apply", "-f", "-", stdin=json.dumps(body))
        for site in ("primary", "secondary"):
            self.kubectl(site, "wait", f"fog/{DAG}", "--for=jsonpath={.status.state}=Succeeded", "--timeout=60s")
        self.show_roles()

    def show_roles(self):
        columns = ("custom-columns=NAME:.metadata.name,SPEC-ROLE:.spec.role,ROLE:.status.role,"
                   "STATE:.status.state,HEALTH:.status.healthState,RESULTS:.status.results")
        for site in ("primary", "secondary"):
            self.kubectl(site, "get", "fog", "-o", columns)

    def write_and_replicate(self):
        self.say("Writes on the primary replicate to the DR instance")
        report = self.sandbox_cli("workload", "--site", "primary", "--instance", PRIMARY_MI, "--rate", "200",
                                  "--seconds", "2", "--prefix", "before")
        print(f"acknowledged {report['acknowledged']} writes, last LSN {report['last_lsn']}")
        stats = self.sandbox_cli("sql", "--site", "secondary", "--instance", SECONDARY_MI, "stats")
        print(f"{SECONDARY_MI}: role {stats['role']}, hardened up to LSN {stats['committed_lsn']}")
        return report

    def planned_failover(self, from_site, from_mi, to_site, to_mi):
        self.say(f"Planned failover: set role 'secondary' on the current primary ({from_mi}, site {from_site})")
        self.kubectl(from_site, "patch", f"fog/{DAG}", "--type", "merge", "-p", '{"spec":{"role":"secondary"}}')
        for site in (from_site, to_site):
            self.kubectl(site, "wait", f"fog/{DAG}", "--for=jsonpath={.status.state}=Succeeded", "--timeout=60s",
                         show=False)
        self.kubectl(to_site, "wait", f"fog/{DAG}", "--for=jsonpath={.status.role}=Primary", "--timeout=60s")
        self.show_roles()
        stats = self.sandbox_cli("sql", "--site", to_site, "--instance", to_mi, "stats")
        print(f"{to_mi} is now {stats['role']} at LSN {stats['committed_lsn']} (epoch {stats['epoch']}); "
              f"its controller rewrote its own spec.role to force-primary-allow-data-loss")

    def check_no_loss(self, acknowledged_report, site, instance):
        """Every write the workload was acknowledged is in the instance's log, at its LSN, with its key."""
        sandbox = Sandbox(default_runtime_dir())
        with SqlClient(endpoint_of(sandbox.files[site], sandbox.sites()[site], instance)) as sql:
            present = {(r["lsn"], r["key"]) for r in sql.records()}
        missing = [write for write in acknowledged_report["writes"] if tuple(write) not in present]
        print(f"every one of the {acknowledged_report['acknowledged']} acknowledged writes is on {instance}: "
              f"{'yes' if not missing else f'NO, {len(missing)} missing'}")
        if missing:
            raise SandboxError(f"{len(missing)} acknowledged writes are missing on {instance}")


def main():
    sandbox = Sandbox(default_runtime_dir())
    was_running = sandbox.exists() and all(s["running"] for s in sandbox.status()["sites"].values())
    Demo.say("Starting the sandbox: two emulated Arc sites, each its own Kubernetes API and Arc controller")
    report = sandbox.up(api_port=default_api_port())
    try:
        with tempfile.TemporaryDirectory(prefix="arc-demo-") as workdir:
            demo = Demo(report, Path(workdir))
            for site in ("primary", "secondary"):
                demo.kubectl(site, "get", "datacontrollers", "-o",
                             "custom-columns=NAME:.metadata.name,STATE:.status.state,"
                             "MODE:.spec.settings.azure.connectionMode")
            demo.create_instances()
            demo.create_failover_groups(demo.copy_certificates())
            writes = demo.write_and_replicate()
            demo.planned_failover("primary", PRIMARY_MI, "secondary", SECONDARY_MI)
            demo.check_no_loss(writes, "secondary", SECONDARY_MI)
            demo.planned_failover("secondary", SECONDARY_MI, "primary", PRIMARY_MI)
            demo.check_no_loss(writes, "primary", PRIMARY_MI)
    finally:
        if was_running:
            Demo.say("The sandbox was running before the demo: leaving it running")
        else:
            Demo.say("Stopping the sandbox")
            sandbox.down()
    Demo.say("Demo finished")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SandboxError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
