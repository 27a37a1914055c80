"""Fixtures of the controller tests: a sandbox WITH its Arc controllers (fast timings), and a DR pair
set up by hand the way the seed document does it: an instance on each site, each side's mirroring
certificate and URL copied into the other side's DAG resource."""
import base64
import contextlib
import json
import time
import uuid

import pytest
from kubernetes.client.rest import ApiException

from sandbox.sqlclient import SqlClient
from tests.sandbox.conftest import SandboxHandle, run_cli

GROUP = "sql.arcdata.microsoft.com"
SQLMI = ("sqlmanagedinstances", "v13")
FOG = ("failovergroups", "v2")
DAG = ("dags", "v1beta2")
PASSWORD = "S3cure!Passw0rd"
# fast, but with the same shape as real life: a partner silent 2 s is DISCONNECTED
TIMINGS = ("--ready-delay", "0.2", "--session-timeout", "2", "--connect-timeout", "3", "--failover-timeout", "8")


def wait_for(predicate, timeout=20.0, interval=0.05, what="the condition"):
    """Poll `predicate` until it returns something truthy; fail naming `what` and the last value."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {last!r}")


def start_sandbox(tmp_path_factory, *extra):
    """A controller sandbox with the fast TIMINGS; `extra` are more `up` options, e.g. ("--behaviour",
    "cli-2025") for the controllers' behaviour profile (sandbox/controller/behaviour.py; default rich)."""
    runtime_dir = tmp_path_factory.mktemp("arc-sandbox")
    run_cli(runtime_dir, "up", "--api-port", "0", *TIMINGS, *extra)
    return SandboxHandle(runtime_dir)


@pytest.fixture(scope="session")
def arc(tmp_path_factory):
    """Both sites with their controllers, profile `current` (FailoverGroup)."""
    handle = start_sandbox(tmp_path_factory)
    try:
        yield handle
    finally:
        run_cli(handle.runtime_dir, "heal", check=False)
        run_cli(handle.runtime_dir, "down", check=False)


class Instance:
    """One SqlManagedInstance on one site, as a test drives it through the Kubernetes API."""

    def __init__(self, site, name):
        self.site, self.name = site, name
        self.api = site.custom()

    def create(self, license_type="LicenseIncluded", **spec):
        core = self.site.core()
        secret = {"metadata": {"name": f"{self.name}-login-secret"}, "type": "Opaque",
                  "data": {"username": base64.b64encode(b"dbadmin").decode(),
                           "password": base64.b64encode(PASSWORD.encode()).decode()}}
        core.create_namespaced_secret(self.site.namespace, secret)
        body = {"apiVersion": f"{GROUP}/{SQLMI[1]}", "kind": "SqlManagedInstance",
                "metadata": {"name": self.name},
                "spec": {"tier": "BusinessCritical", "replicas": 3, "licenseType": license_type,
                         "security": {"adminLoginSecret": f"{self.name}-login-secret"},
                         "scheduling": {"default": {"resources": {"requests": {"cpu": "2", "memory": "4Gi"},
                                                                  "limits": {"cpu": "2", "memory": "4Gi"}}}},
                         **spec}}
        return self.api.create_namespaced_custom_object(GROUP, SQLMI[1], self.site.namespace, SQLMI[0], body)

    def get(self):
        return self.api.get_namespaced_custom_object(GROUP, SQLMI[1], self.site.namespace, SQLMI[0], self.name)

    def status(self):
        return self.get().get("status") or {}

    def wait_ready(self, timeout=20):
        def ready():
            obj = self.get()
            status = obj.get("status") or {}
            return status.get("state") == "Ready" and status.get("observedGeneration") == obj["metadata"][
                "generation"] and obj
        return wait_for(ready, timeout, what=f"instance {self.name} on {self.site.name} to be Ready")

    @property
    def mirroring_url(self):
        return "tcp://" + self.status()["endpoints"]["mirroring"]

    @property
    def certificate(self):
        return self.status()["highAvailability"]["mirroringCertificate"]

    def sql(self):
        return SqlClient(self.status()["endpoints"]["primary"])

    def stats(self):
        with self.sql() as sql:
            return sql.stats()


class DagResource:
    """One side's DAG resource (FailoverGroup, or Dag in the 2022-01 profile)."""

    def __init__(self, site, name, layout="fog"):
        self.site, self.name, self.layout = site, name, layout
        self.plural, self.version = FOG if layout == "fog" else DAG
        self.api = site.custom()

    def body(self, shared_name, local, partner, url, cert, role, sync_mode=None):
        if self.layout == "fog":
            spec = {"sharedName": shared_name, "sourceMI": local, "partnerMI": partner, "partnerMirroringURL": url,
                    "partnerMirroringCert": cert, "role": role}
            if sync_mode:
                spec["partnerSyncMode"] = sync_mode
            kind = "FailoverGroup"
        else:
            spec = {"input": {"dagName": shared_name, "localName": local, "remoteName": partner,
                              "remoteEndpoint": url, "remotePublicCert": cert, "role": role}}
            kind = "Dag"
        return {"apiVersion": f"{GROUP}/{self.version}", "kind": kind, "metadata": {"name": self.name},
                "spec": spec}

    def create(self, body):
        return self.api.create_namespaced_custom_object(GROUP, self.version, self.site.namespace, self.plural, body)

    def get(self):
        return self.api.get_namespaced_custom_object(GROUP, self.version, self.site.namespace, self.plural,
                                                     self.name)

    def status(self):
        return self.get().get("status") or {}

    def spec(self):
        spec = self.get()["spec"]
        return spec["input"] if self.layout == "dag" else spec

    def patch(self, **fields):
        patch = {"spec": {"input": fields}} if self.layout == "dag" else {"spec": fields}
        return self.api.patch_namespaced_custom_object(GROUP, self.version, self.site.namespace, self.plural,
                                                       self.name, patch)

    def set_role(self, role):
        return self.patch(role=role)

    def delete(self):
        try:
            self.api.delete_namespaced_custom_object(GROUP, self.version, self.site.namespace, self.plural,
                                                     self.name)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def wait_reported(self, written, timeout=20, state=None, role=None):
        """The status once the controller reported on the write that returned `written` (the object a create or
        patch answered): a terminal state (Succeeded or Failed, or `state`; with `role` if given) written after
        it, seen as a new lastUpdateTime. Works whether or not the profile reports observedGeneration; a link
        health refresh written just after the write is a new lastUpdateTime too, which `state`/`role` tell apart."""
        before = (written.get("status") or {}).get("lastUpdateTime")

        def reported():
            status = self.status()
            done = status.get("lastUpdateTime") != before and status.get("state") in ("Succeeded", "Failed")
            return (done and (state is None or status["state"] == state)
                    and (role is None or status.get("role") == role) and status)
        return wait_for(reported, timeout, what=f"{self.plural} {self.name} on {self.site.name} to report on the "
                                                f"write" + (f" as {state}" if state else "")
                                                + (f" with role {role}" if role else ""))

    def wait_settled(self, timeout=20, state=None):
        """The status of the current generation once it is terminal (Succeeded or Failed)."""
        def settled():
            obj = self.get()
            status = obj.get("status") or {}
            done = status.get("observedGeneration") == obj["metadata"]["generation"] and status.get("state") in (
                "Succeeded", "Failed")
            return done and (state is None or status["state"] == state) and status
        return wait_for(settled, timeout, what=f"{self.plural} {self.name} on {self.site.name} to settle"
                                               + (f" as {state}" if state else ""))


class Pair:
    """A DR pair by hand: `primary` instance on the primary site, DR instance on the secondary site."""

    def __init__(self, sandbox, layout="fog"):
        tag = uuid.uuid4().hex[:6]
        self.sandbox, self.layout, self.tag = sandbox, layout, tag
        self.shared_name = f"dag-{tag}"
        self.sites = {"primary": sandbox.site("primary"), "secondary": sandbox.site("secondary")}
        self.instances = {"primary": Instance(self.sites["primary"], f"sqla-{tag}"),
                          "secondary": Instance(self.sites["secondary"], f"sqlb-{tag}")}
        self.dags = {side: DagResource(self.sites[side], f"dag{side[0]}-{tag}", layout) for side in self.sites}

    def other(self, side):
        return "secondary" if side == "primary" else "primary"

    def create_instances(self, dr_licence="DisasterRecovery"):
        """Both instances; the DR side's licence is `dr_licence` (a test that reads the DR side through its client
        endpoint gives one that accepts clients)."""
        self.instances["primary"].create("LicenseIncluded")
        self.instances["secondary"].create(dr_licence)
        for instance in self.instances.values():
            instance.wait_ready()
        return self

    def dag_body(self, side, role, sync_mode=None, **overrides):
        """The side's DAG body with the partner's facts copied in, as an operator would; `overrides`
        replace any of shared_name, local, partner, url, cert."""
        partner = self.instances[self.other(side)]
        values = {"shared_name": self.shared_name, "local": self.instances[side].name, "partner": partner.name,
                  "url": partner.mirroring_url, "cert": partner.certificate, "role": role, "sync_mode": sync_mode}
        values.update(overrides)
        return self.dags[side].body(**values)

    def create_dags(self, sync_mode=None, primary_overrides=None, secondary_overrides=None):
        self.dags["primary"].create(self.dag_body("primary", "primary", sync_mode, **(primary_overrides or {})))
        self.dags["secondary"].create(self.dag_body("secondary", "secondary", sync_mode,
                                                    **(secondary_overrides or {})))
        return self

    def wait_connected(self, timeout=20):
        for side in self.dags:
            wait_for(lambda s=side: self.linked(s), timeout,
                     what=f"the {side} side's DAG to be Succeeded and CONNECTED")
        return self

    def linked(self, side):
        """The side's DAG status if it is Succeeded with its link up, else None. Where the profile reports the
        link (replicas), its word; where it does not (observed-2022), a Succeeded state with a real role and the
        engine's own word (the instance's client endpoint)."""
        status = self.dags[side].status()
        if "replicas" in status or "healthState" in status:
            return _connected(status)
        real = status.get("state") == "Succeeded" and status.get("role") in ("Primary", "Secondary")
        return real and self.instances[side].stats()["link"]["connected"] and status

    def setup(self, sync_mode=None, dr_licence="DisasterRecovery"):
        return self.create_instances(dr_licence).create_dags(sync_mode).wait_connected()

    def roles(self):
        return {side: self.dags[side].status().get("role") for side in self.dags}

    def records(self, side):
        with self.instances[side].sql() as sql:
            return sql.records()


def _connected(status):
    replicas = status.get("replicas") or []
    return (status.get("state") == "Succeeded" and len(replicas) == 2
            and all(r["connectedState"] == "CONNECTED" and r["synchronizationState"] == "HEALTHY"
                    for r in replicas) and status)


@pytest.fixture
def pair(arc):
    """A connected pair (async) on the shared controller sandbox."""
    return Pair(arc).setup()


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True)


# -- helpers of the replication and failover tests ------------------------------------------------
@contextlib.contextmanager
def own_sandbox(tmp_path_factory, *extra):
    """A controller sandbox of the caller's own (for tests that kill sites): healed and taken down after."""
    handle = start_sandbox(tmp_path_factory, *extra)
    try:
        yield handle
    finally:
        run_cli(handle.runtime_dir, "heal", check=False)
        run_cli(handle.runtime_dir, "down", check=False)


@contextlib.contextmanager
def partitioned(sandbox):
    """The mirroring link between the sites cut for the block; healed whatever happens."""
    run_cli(sandbox.runtime_dir, "partition")
    try:
        yield
    finally:
        run_cli(sandbox.runtime_dir, "heal")


@contextlib.contextmanager
def site_down(sandbox, site):
    """The site killed for the block, started again whatever happens."""
    sandbox.kill(site)
    try:
        yield
    finally:
        sandbox.start(site)


def partner_connected_state(status):
    """connectedState of the partner's entry in a DAG status (None before there is one)."""
    replicas = status.get("replicas") or []
    return replicas[1]["connectedState"] if len(replicas) == 2 else None


def wait_partner_state(dag, state, timeout=20):
    return wait_for(lambda: partner_connected_state(dag.status()) == state and dag.status(), timeout,
                    what=f"{dag.name} on {dag.site.name} to report its partner {state}")


def wait_same_logs(pair, timeout=20):
    """Wait until both sides hold the same log (the secondary caught up); returns it."""
    seen = {}

    def same():
        seen.update(primary=pair.records("primary"), secondary=pair.records("secondary"))
        return seen["primary"] == seen["secondary"] and {"records": seen["primary"]}
    try:
        return wait_for(same, timeout, interval=0.1, what="both sides to hold the same log")["records"]
    except AssertionError as exc:
        tips = {side: len(records) for side, records in seen.items()}
        differ = next((a["lsn"] for a, b in zip(seen["primary"], seen["secondary"]) if a != b), None)
        raise AssertionError(f"{exc}; log lengths {tips}, first differing LSN {differ}") from None


def missing_acknowledged(records, acknowledged):
    """The (lsn, key) pairs a workload was acknowledged that `records` does not hold as such."""
    held = {r["lsn"]: r["key"] for r in records}
    return [(lsn, key) for lsn, key in acknowledged if held.get(lsn) != key]


def write_many(instance, count, prefix):
    """`count` writes on the instance; returns their LSNs."""
    with instance.sql() as sql:
        return [sql.write(f"{prefix}-{number}", number) for number in range(count)]


def watch_until(api, plural, version, namespace, name, resource_version, predicate, timeout=20,
                what="the condition"):
    """Watch one custom object from `resource_version` (events only, no sleeping) until `predicate(obj)`
    holds; returns every object seen, in order, the last one satisfying the predicate."""
    from kubernetes import watch  # pylint: disable=import-outside-toplevel

    seen, stream = [], watch.Watch()
    for event in stream.stream(api.list_namespaced_custom_object, GROUP, version, namespace, plural,
                               field_selector=f"metadata.name={name}", resource_version=resource_version,
                               timeout_seconds=max(1, int(timeout))):
        seen.append(event["object"])
        if event["type"] != "DELETED" and predicate(event["object"]):
            stream.stop()
            return seen
    raise AssertionError(f"no event within {timeout} s satisfied {what} for {plural} {name}; states seen: "
                         f"{[(o.get('status') or {}).get('state') for o in seen]}")
