"""The sandbox CLI's lifecycle, on sandboxes of this module's own (never the shared one): `up` is
idempotent, `status --json` describes what a user needs, profiles choose the Arc CRDs, `kill` and
`start` act on one site, and `down` leaves nothing running behind.
"""
import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import run_cli

SITES = ("primary", "secondary")


def up(runtime_dir, *args):
    return run_cli(runtime_dir, "up", "--api-port", "0", *args)


def status(runtime_dir):
    return json.loads(run_cli(runtime_dir, "status", "--json").stdout)


def pids(report, site=None):
    return {(name, component): info["pid"] for name, entry in report["sites"].items() if site in (None, name)
            for component, info in entry["components"].items()}


def alive(pid):
    """True while the process exists and is not a zombie (a dead child nobody has reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def processes_mentioning(text):
    """Live processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if text in cmdline and alive(entry.name):
            found.append((entry.name, cmdline))
    return found


def kubectl(report, site, *args, check=True, input=None):
    """kubectl against one site of `report`'s sandbox; the discovery cache lives in the runtime directory,
    so another sandbox that once used the same port cannot answer for this one."""
    entry = report["sites"][site]
    cache = Path(report["runtime_dir"]) / "kubectl-cache"
    return subprocess.run(
        ["kubectl", "--kubeconfig", entry["kubeconfig"], "--cache-dir", str(cache), *args],
        capture_output=True, text=True, timeout=60, check=check, input=input)


def create_configmap(report, site, name):
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}}
    kubectl(report, site, "apply", "-f", "-", input=yaml.safe_dump(manifest))


def arc_resources(report, site="primary"):
    listed = kubectl(report, site, "api-resources", "--api-group=sql.arcdata.microsoft.com", "-o", "name")
    return {line.split(".")[0] for line in listed.stdout.split()}


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    """A sandbox of the current profile, up for the whole module."""
    runtime_dir = tmp_path_factory.mktemp("lifecycle-current")
    up(runtime_dir)
    try:
        yield runtime_dir
    finally:
        run_cli(runtime_dir, "down", check=False)


@pytest.fixture
def fresh(tmp_path_factory):
    """A runtime directory for a sandbox a test starts and stops itself; taken down whatever happens."""
    runtime_dir = tmp_path_factory.mktemp("lifecycle-fresh")
    yield runtime_dir
    if runtime_dir.exists():
        run_cli(runtime_dir, "down", check=False)


def test_up_twice_is_idempotent(current):
    before = status(current)

    up(current)
    after = status(current)

    assert all(after["sites"][site]["running"] for site in SITES)
    assert pids(after) == pids(before) and all(pids(after).values())
    assert {s: e["api_url"] for s, e in after["sites"].items()} == {s: e["api_url"] for s, e in before["sites"].items()}
    assert len({e["api_url"] for e in after["sites"].values()}) == 2


def test_status_json_describes_each_site(current):
    report = status(current)

    assert set(report["sites"]) == set(SITES)
    for site, entry in report["sites"].items():
        assert entry["running"] is True and entry["api_url"].startswith("https://")
        assert Path(entry["state_dir"]).is_dir()
        kubeconfig_path = Path(entry["kubeconfig"])
        assert stat.S_IMODE(kubeconfig_path.stat().st_mode) == 0o600
        kubeconfig = yaml.safe_load(kubeconfig_path.read_text())
        context = next(c["context"] for c in kubeconfig["contexts"] if c["name"] == entry["context"])
        assert context["namespace"] == entry["namespace"]
        cluster = next(c["cluster"] for c in kubeconfig["clusters"] if c["name"] == context["cluster"])
        assert cluster["server"] == entry["api_url"]
        ca_pem = base64.b64decode(cluster["certificate-authority-data"])
        assert ca_pem == (Path(entry["state_dir"]) / "pki" / "ca.crt").read_bytes()
        # the kubeconfig works as it is: kubectl reaches the site and sees its namespace
        namespaces = kubectl(report, site, "get", "namespaces", "-o", "name").stdout.split()
        assert f"namespace/{entry['namespace']}" in namespaces

    inventory_paths = {entry["inventory"] for entry in report["sites"].values()}
    assert len(inventory_paths) == 1
    inventory = yaml.safe_load(Path(inventory_paths.pop()).read_text())
    hosts = {}

    def collect(group):
        hosts.update((group or {}).get("hosts") or {})
        for child in ((group or {}).get("children") or {}).values():
            collect(child)
    collect(inventory["all"])
    assert set(hosts) == set(SITES)
    for site in SITES:
        assert hosts[site]["arc_kubeconfig"] == report["sites"][site]["kubeconfig"]


def test_profiles_choose_failover_groups_or_dags(current, fresh):
    up(fresh, "--profile", "2022-01")
    legacy = status(fresh)

    assert legacy["profile"] == "2022-01"
    for site in SITES:
        assert "dags" in arc_resources(legacy, site) and "failovergroups" not in arc_resources(legacy, site)
    assert "failovergroups" in arc_resources(status(current)) and "dags" not in arc_resources(status(current))
    missing = kubectl(legacy, "primary", "get", "failovergroups", check=False)
    assert missing.returncode != 0 and 'the server doesn\'t have a resource type "failovergroups"' in missing.stderr


def test_kill_and_start_one_site(current):
    before = status(current)
    create_configmap(before, "primary", "survivor")
    primary_dir = Path(before["sites"]["primary"]["state_dir"])

    run_cli(current, "kill", "--site", "primary")
    killed = status(current)

    assert killed["sites"]["primary"]["running"] is False
    assert not any(alive(pid) for pid in pids(before, "primary").values())
    assert killed["sites"]["secondary"]["running"] is True
    assert pids(killed, "secondary") == pids(before, "secondary")
    assert kubectl(killed, "secondary", "get", "namespaces").returncode == 0
    assert (primary_dir / "state.db").exists() and (primary_dir / "kubeconfig").exists()
    assert (primary_dir / "pki" / "ca.crt").exists()

    run_cli(current, "start", "--site", "primary")
    restarted = status(current)

    assert restarted["sites"]["primary"]["running"] is True
    assert restarted["sites"]["primary"]["api_url"] == before["sites"]["primary"]["api_url"]
    survivor = kubectl(restarted, "primary", "get", "configmap", "survivor", "-o", "jsonpath={.data.k}")
    assert survivor.stdout == "v"


def test_down_stops_everything_and_removes_the_runtime_dir(fresh):
    up(fresh)
    started = pids(status(fresh))
    assert all(alive(pid) for pid in started.values())

    run_cli(fresh, "down")

    assert not any(alive(pid) for pid in started.values())
    assert processes_mentioning(f"{fresh}{os.sep}") == []
    assert not fresh.exists()


def test_down_keep_state_keeps_the_runtime_dir(fresh):
    up(fresh)
    report = status(fresh)
    create_configmap(report, "primary", "kept")

    run_cli(fresh, "down", "--keep-state")

    assert not any(alive(pid) for pid in pids(report).values())
    assert processes_mentioning(f"{fresh}{os.sep}") == []
    for site in SITES:
        state_dir = Path(report["sites"][site]["state_dir"])
        assert (state_dir / "state.db").exists() and (state_dir / "kubeconfig").exists()
    assert status(fresh)["sites"]["primary"]["running"] is False
    # and the kept state is the sandbox's: it comes back with its objects
    up(fresh)
    kept = kubectl(status(fresh), "primary", "get", "configmap", "kept", "-o", "jsonpath={.data.k}")
    assert kept.stdout == "v"
