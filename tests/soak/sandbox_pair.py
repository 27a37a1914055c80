"""The soak's sandbox and DR pair: a sandbox of its own under the output directory (started fresh, always stopped),
its one DR pair in an inventory that asks for the licence switch after each failover (so that the workload can
write to whichever site is primary: an instance with the DR licence admits no client), set up with dr_setup."""
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from sandbox.layout import REPO_ROOT

# fast instance readiness and link timeouts, as the integration tests run the sandbox
SANDBOX_TIMINGS = ("--ready-delay", "0.2", "--session-timeout", "2", "--connect-timeout", "3",
                   "--failover-timeout", "8")


def sandbox_cli(runtime_dir, *args, check=True):
    done = subprocess.run([sys.executable, "-m", "sandbox", "--runtime-dir", str(runtime_dir)] + list(args),
                          cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=300, check=False)
    if check and done.returncode != 0:
        raise RuntimeError("sandbox %s failed (%d): %s%s" % (" ".join(args), done.returncode, done.stdout,
                                                             done.stderr))
    return done.stdout


@contextlib.contextmanager
def own_sandbox(runtime_dir):
    """Both sites with their controllers, in `runtime_dir` (a sandbox left there by an earlier run is stopped and
    removed first); stopped whatever happens, its state (audit logs, component logs, instance logs) kept for
    whoever looks into a misbehaviour."""
    runtime_dir = Path(runtime_dir)
    sandbox_cli(runtime_dir, "down", check=False)
    sandbox_cli(runtime_dir, "up", "--api-port", "0", *SANDBOX_TIMINGS)
    try:
        yield runtime_dir
    finally:
        sandbox_cli(runtime_dir, "heal", check=False)
        sandbox_cli(runtime_dir, "down", "--keep-state", check=False)


def status(runtime_dir):
    return json.loads(sandbox_cli(runtime_dir, "status", "--json"))


def soak_inventory(sandbox_status, path):
    """The sandbox's inventory of one pair, with the licence switch after failovers; returns (path, pair) where
    pair names the instances, DAG resources, DAG and DR lock by site."""
    inventory = yaml.safe_load(Path(sandbox_status["inventory"]).read_text())
    group = inventory["all"]["children"]["arc_dr_pairs"]["children"]["sandbox_pair"]
    group["vars"]["arc_switch_licence"] = True
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # it holds the admin password, as the sandbox's own inventory does
    with os.fdopen(os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(yaml.safe_dump(inventory, sort_keys=False))
    hosts = group["hosts"].values()
    dag_name = group["vars"]["arc_dag_name"]
    pair = {"instances": dict((h["arc_site"], h["arc_instance"]) for h in hosts),
            "dags": dict((h["arc_site"], h["arc_dag_resource"]) for h in hosts),
            "dag_name": dag_name,
            # the roles' default name of the DR lock (roles/dr_failover/defaults/main.yml)
            "lock": "arcdata-sqlmi-dr-%s" % dag_name.lower()}
    return path, pair
