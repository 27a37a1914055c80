"""What a DR pair looks like on the sandbox's two sites, read through their Kubernetes APIs, in either transport:
in indirect mode the DAG resources are FailoverGroups of the inventory's names; in direct mode Resource Manager
projects each failover group into a FailoverGroup named by a UUID, found by its spec.sourceMI (the site's
instance). The fault matrix checks its cells against this."""
import json
import time

from kubernetes import client
from kubernetes.client.rest import ApiException

from .conftest import ARC_GROUP, HOSTS
from .fault_kinds import DIRECT

HANDOVER = "arcdata.sqlmi/handover"
POLL_SECONDS = 0.2


class PairState:
    def __init__(self, sandbox, pair, transport):
        self.sandbox, self.pair, self.transport = sandbox, pair, transport

    def _custom(self, site):
        handle = self.sandbox.site(site)
        return handle.custom(), handle.namespace

    # -- the DAG resources and instances ----------------------------------------------------------------------
    def dag(self, site):
        """This site's FailoverGroup of the pair as stored, or None."""
        custom, namespace = self._custom(site)
        if self.transport == DIRECT:
            items = custom.list_namespaced_custom_object(ARC_GROUP, "v2", namespace, "failovergroups")["items"]
            found = [i for i in items if (i.get("spec") or {}).get("sourceMI") == self.pair.instances[site]]
            return found[0] if found else None
        return _get(custom.get_namespaced_custom_object, ARC_GROUP, "v2", namespace, "failovergroups",
                    self.pair.dags[site])

    def instance(self, site):
        custom, namespace = self._custom(site)
        return _get(custom.get_namespaced_custom_object, ARC_GROUP, "v13", namespace, "sqlmanagedinstances",
                    self.pair.instances[site])

    def roles(self):
        return dict((site, ((self.dag(site) or {}).get("status") or {}).get("role")) for site in HOSTS)

    def primary(self):
        primaries = [site for site, role in self.roles().items() if role == "Primary"]
        assert len(primaries) == 1, self.roles()
        return primaries[0]

    def wait(self, site, predicate, timeout=30):
        """Poll this site's DAG resource until predicate(obj) holds (what the controller reports on its own);
        returns the last object read."""
        deadline = time.monotonic() + timeout
        obj = self.dag(site)
        while not predicate(obj) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            obj = self.dag(site)
        return obj

    # -- what is left of the pair ---------------------------------------------------------------------------
    def objects(self, site):
        """Every object of the site's namespace that belongs to the pair, by kind."""
        handle = self.sandbox.site(site)
        custom, core, namespace = handle.custom(), handle.core(), handle.namespace
        tag = self.pair.tag
        instances = custom.list_namespaced_custom_object(ARC_GROUP, "v13", namespace, "sqlmanagedinstances")["items"]
        groups = custom.list_namespaced_custom_object(ARC_GROUP, "v2", namespace, "failovergroups")["items"]
        return {"sqlmanagedinstances": sorted(i["metadata"]["name"] for i in instances if tag in i["metadata"]["name"]),
                "failovergroups": sorted(self._group_name(g) for g in groups if tag in self._group_name(g)),
                "secrets": sorted(s.metadata.name for s in core.list_namespaced_secret(namespace).items
                                  if tag in s.metadata.name)}

    def _group_name(self, group):
        """The pair's name of a FailoverGroup: its own, or in direct mode the instance it belongs to."""
        if self.transport == DIRECT:
            return "of %s" % (group.get("spec") or {}).get("sourceMI", "")
        return group["metadata"]["name"]

    def expected_objects(self, site):
        group = "of %s" % self.pair.instances[site] if self.transport == DIRECT else self.pair.dags[site]
        return {"sqlmanagedinstances": [self.pair.instances[site]], "failovergroups": [group],
                "secrets": [self.pair.instances[site] + "-login-secret"]}

    # -- the handover records and the DR lock ---------------------------------------------------------------
    def record(self, site):
        """The handover record on this site's DAG resource, or None."""
        text = ((self.dag(site) or {}).get("metadata", {}).get("annotations") or {}).get(HANDOVER)
        return json.loads(text) if text else None

    def latest_record(self):
        found = [r for r in (self.record(site) for site in HOSTS) if r and r.get("time")]
        return max(found, key=lambda r: r["time"]) if found else None

    def handover_events(self):
        """How many handover Events each site holds about its DAG resource of the pair."""
        counts = {}
        for site in HOSTS:
            handle, dag = self.sandbox.site(site), self.dag(site)
            name = dag["metadata"]["name"] if dag else None
            events = handle.core().list_namespaced_event(handle.namespace).items
            counts[site] = sum(1 for e in events if e.involved_object.name == name and e.reason == "Handover")
        return counts

    def lock_holders(self):
        """Who holds the pair's DR lock (the Lease the dr_failover role names) on each site; '' when free."""
        name = "arcdata-sqlmi-dr-%s" % self.pair.dag_name.lower()
        holders = {}
        for site in HOSTS:
            handle = self.sandbox.site(site)
            try:
                lease = client.CoordinationV1Api(handle.api_client()).read_namespaced_lease(name, handle.namespace)
                holders[site] = lease.spec.holder_identity or ""
            except ApiException as exc:
                assert exc.status == 404, exc
                holders[site] = ""
        return holders


def _get(call, *args):
    try:
        return call(*args)
    except ApiException as exc:
        assert exc.status == 404, exc
        return None
