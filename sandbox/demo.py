"""`make demo`: bring up the two sandbox sites and show that each answers like an Arc cluster.

Later issues turn this into the whole DR drill; for now it proves the ground it will stand on.
A sandbox that was already running is reused and left running; one the demo started, it stops.
"""
import os
import subprocess
import sys

from .control import Sandbox
from .layout import default_api_port, default_runtime_dir
from .supervisor import SandboxError


def say(text):
    print(f"\n==> {text}", flush=True)


def kubectl(kubeconfig, *args):
    command = ["kubectl", *args]
    print(f"$ KUBECONFIG={os.path.relpath(kubeconfig)} {' '.join(command)}", flush=True)
    result = subprocess.run(command, env=dict(os.environ, KUBECONFIG=kubeconfig), check=False,
                            capture_output=True, text=True)
    print((result.stdout + result.stderr).rstrip(), flush=True)
    if result.returncode != 0:
        raise SandboxError(f"kubectl {' '.join(args)} failed with exit code {result.returncode}")


def show_site(name, site):
    say(f"Site {name}: {site['api_url']} (context {site['context']}, namespace {site['namespace']})")
    kubectl(site["kubeconfig"], "version")
    kubectl(site["kubeconfig"], "api-resources", "--api-group=sql.arcdata.microsoft.com")
    kubectl(site["kubeconfig"], "get", "datacontrollers", "-A",
            "-o", "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,STATE:.status.state,"
                  "MODE:.spec.settings.azure.connectionMode")
    kubectl(site["kubeconfig"], "get", "sqlmi,fog", "-A")


def main():
    sandbox = Sandbox(default_runtime_dir())
    was_running = sandbox.exists() and all(s["running"] for s in sandbox.status()["sites"].values())
    say("Starting the sandbox: two emulated Arc sites, each its own HTTPS Kubernetes API")
    report = sandbox.up(api_port=default_api_port())
    try:
        for name, site in report["sites"].items():
            show_site(name, site)
        say(f"Ansible inventory of both sites: {os.path.relpath(report['inventory'])}")
        print(open(report["inventory"], encoding="utf-8").read().rstrip())
    finally:
        if was_running:
            say("The sandbox was running before the demo: leaving it running")
        else:
            say("Stopping the sandbox")
            sandbox.down()
    say("Demo finished")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SandboxError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
