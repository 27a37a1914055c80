"""Helpers of the playbook tests (test_playbooks_*.py): DR pairs of names no other test uses, written as an
inventory in the collection's model (docs/inventory.md: sites are hosts, a pair is a group under arc_dr_pairs)
with the connection host vars of a sandbox's two sites, and what the tests read back from the sites."""
import uuid
from pathlib import Path

import yaml
from kubernetes.client.rest import ApiException

from .conftest import ARC_GROUP, HOSTS, collection_requests, delete_dr_pair, wait_for_object, write_requests

# the host vars that say how to reach a site, taken from the sandbox's generated inventory
CONNECTION_VARS = ("ansible_connection", "ansible_python_interpreter", "arc_kubeconfig", "arc_context",
                   "arc_namespace", "arc_site", "arc_withdraw_abandoned_switch")
# where the DAG resources live, by the sandbox profile's kind
DAG_PLURALS = {"FailoverGroup": ("failovergroups", "v2"), "Dag": ("dags", "v1beta2")}


def sandbox_inventory(sandbox):
    """The sandbox's generated inventory: (connection host vars by site, the pair's group vars)."""
    inventory = yaml.safe_load(Path(sandbox.report["inventory"]).read_text())
    group = inventory["all"]["children"]["arc_dr_pairs"]["children"]["sandbox_pair"]
    hosts = {}
    for host in group["hosts"].values():
        hosts[host["arc_site"]] = dict((key, value) for key, value in host.items()
                                       if key in CONNECTION_VARS or key == "arc_connection_mode"
                                       or key.startswith("arc_azure_"))
    return hosts, group["vars"]


class PlaybookPair:
    """One DR pair on the sandbox's two sites: its own group, hosts, instances, DAG resources and DAG name.
    `instances` and `dags` are keyed by site, as conftest.delete_dr_pair expects."""

    def __init__(self, sandbox, prefix="pb", fleet=False):
        hex_tag = uuid.uuid4().hex[:6]
        self.tag = f"{prefix}{hex_tag}"
        self.group = f"pair_{self.tag}"
        # in a fleet, every pair has hosts of its own for the same two sites
        self.hosts = {site: f"{self.tag}-{site}" if fleet else site for site in HOSTS}
        self.instances = {site: f"sql{site}-{self.tag}" for site in HOSTS}
        self.dags = {site: f"dag{site}-{self.tag}" for site in HOSTS}
        self.dag_name = f"dag-{self.tag}"
        self.connection, pair_vars = sandbox_inventory(sandbox)
        self.spec = dict(pair_vars["arc_instance_spec"])
        self.admin_password = f"Pw-{uuid.uuid4().hex[:16]}!Z"
        self.host_vars = {site: {} for site in HOSTS}  # per-site overrides a test sets
        self.pair_vars = {}  # pair-wide overrides a test sets (arc_sync_mode, arc_switch_licence, ...)

    def site_of(self, host):
        return next(site for site, name in self.hosts.items() if name == host)

    def names(self):
        """Every object name of this pair (instances, their login Secrets, DAG resources)."""
        return set(self.instances.values()) | set(self.dags.values()) | \
            {f"{name}-login-secret" for name in self.instances.values()}

    def inventory_group(self):
        hosts = {}
        for site in HOSTS:
            hosts[self.hosts[site]] = dict(self.connection[site], arc_instance=self.instances[site],
                                           arc_initial_role=site, arc_dag_resource=self.dags[site],
                                           **self.host_vars[site])
        return {"vars": {"arc_pair": self.group, "arc_dag_name": self.dag_name, "arc_sync_mode": "async",
                         "arc_instance_spec": dict(self.spec), "arc_admin_username": "dbadmin",
                         "arc_admin_password": self.admin_password, **self.pair_vars},
                "hosts": hosts}


class PlaybookPairs:
    """Makes the DR pairs of one test on one sandbox, writes their inventories, and removes them afterwards."""

    def __init__(self, sandbox, workdir):
        self.sandbox = sandbox
        self.workdir = Path(workdir)
        self.made = []

    def new(self, prefix="pb", fleet=False):
        self.made.append(PlaybookPair(self.sandbox, prefix, fleet))
        return self.made[-1]

    def inventory(self, *pairs):
        """An inventory file of these pairs (a fleet when there are several)."""
        groups = dict((pair.group, pair.inventory_group()) for pair in pairs)
        path = self.workdir / f"inventory-{uuid.uuid4().hex[:6]}.yml"
        path.write_text(yaml.safe_dump({"all": {"children": {"arc_dr_pairs": {"children": groups}}}},
                                       sort_keys=False))
        return path

    def remove_all(self):
        for pair in self.made:
            delete_dr_pair(self.sandbox, pair)


def audit_marks(sandbox):
    return dict((site, sandbox.site(site).audit_mark()) for site in HOSTS)


def collection_since(sandbox, marks):
    """The collection's requests on each site since `marks`."""
    return dict((site, collection_requests(sandbox.site(site).audit_since(marks[site]))) for site in HOSTS)


def collection_writes_since(sandbox, marks):
    """The collection's writes (dry runs excluded) on each site since `marks`."""
    return dict((site, write_requests(requests)) for site, requests in collection_since(sandbox, marks).items())


def dag_object(sandbox, pair, site, kind="FailoverGroup"):
    """This site's DAG resource of the pair as stored, or None."""
    plural, version = DAG_PLURALS[kind]
    handle = sandbox.site(site)
    try:
        return handle.custom().get_namespaced_custom_object(ARC_GROUP, version, handle.namespace, plural,
                                                            pair.dags[site])
    except ApiException as exc:
        assert exc.status == 404, exc
        return None


def instance_object(sandbox, pair, site):
    handle = sandbox.site(site)
    try:
        return handle.custom().get_namespaced_custom_object(ARC_GROUP, "v13", handle.namespace,
                                                            "sqlmanagedinstances", pair.instances[site])
    except ApiException as exc:
        assert exc.status == 404, exc
        return None


def roles(sandbox, pair, kind="FailoverGroup"):
    """status.role of both sides, by site."""
    return dict((site, ((dag_object(sandbox, pair, site, kind) or {}).get("status") or {}).get("role"))
                for site in HOSTS)


def connected(obj):
    replicas = (obj.get("status") or {}).get("replicas") or []
    return bool(replicas) and all(r.get("connectedState") == "CONNECTED" for r in replicas)


def wait_for_dag(sandbox, pair, site, predicate, kind="FailoverGroup", timeout=30):
    """Watch this site's DAG resource until predicate(obj) holds (what the controller reports on its own)."""
    plural, version = DAG_PLURALS[kind]
    return wait_for_object(sandbox.site(site), plural, pair.dags[site], predicate, version=version, timeout=timeout)


def handover_events(sandbox, pair, site):
    """The Kubernetes Events about this site's DAG resource that record a handover."""
    handle = sandbox.site(site)
    events = handle.core().list_namespaced_event(handle.namespace).items
    return [e for e in events if e.involved_object.name == pair.dags[site] and e.reason == "Handover"]


def failed_messages(run):
    """The messages of the failed tasks of a run, one string."""
    return "\n".join(str(t["result"].get("msg")) for t in run.failed())


def _merged(into, data):
    """Recursive dict merge, as Ansible aggregates set_stats data (aggregate: true) into a job's artifacts."""
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merged(into[key], value)
        else:
            into[key] = value
    return into


def workflow_artifacts(run):
    """What AWX keeps as the job's artifacts: every set_stats result of the run, aggregated."""
    artifacts = {}
    for task in run.results():
        stats = task["outcome"] == "ok" and task["result"].get("ansible_stats")
        if stats:
            _merged(artifacts, stats["data"])
    return artifacts
