"""What the soak reads from the sandbox's two sites after each cycle, as an operator would: each DAG resource's
reported role, the DR lock's Lease on each site, each instance's endpoint and its engine's own view (role, log,
counters: what SQL Server's DMVs show a DBA). A site that does not answer reads as None."""
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from sandbox.sqlclient import SqlClient, SqlError

ARC_GROUP = "sql.arcdata.microsoft.com"
READ_TIMEOUT_SECONDS = 10


class PairState:
    def __init__(self, status, pair):
        """`status`: `python -m sandbox status --json`; `pair`: {"instances": {site: name}, "dags": {site: name},
        "lock": the DR lock's Lease name}."""
        self.pair = pair
        self.namespaces = dict((site, report["namespace"]) for site, report in status["sites"].items())
        # one client per site for the whole soak: a restarted site keeps its address, port and certificates
        self.apis = dict((site, _api_client(report)) for site, report in status["sites"].items())
        self.endpoints = {}

    def sites(self):
        return sorted(self.apis)

    def roles(self):
        """status.role of each site's DAG resource (None for a site that does not answer)."""
        return dict((site, ((self._custom(site, "failovergroups", "v2", self.pair["dags"][site]) or {})
                            .get("status") or {}).get("role")) for site in self.sites())

    def lock_holders(self):
        """The DR lock's holder on each site: '' when released or never taken, None when the site does not answer."""
        found = {}
        for site in self.sites():
            try:
                lease = client.CoordinationV1Api(self.apis[site]).read_namespaced_lease(
                    self.pair["lock"], self.namespaces[site], _request_timeout=READ_TIMEOUT_SECONDS)
                found[site] = lease.spec.holder_identity or ""
            except ApiException as exc:
                found[site] = "" if exc.status == 404 else None
            except urllib3.exceptions.HTTPError:
                found[site] = None
        return found

    def resource_versions(self):
        """Each site's API resourceVersion now (how many changes its store has taken; None when it does not
        answer): the API server keeps its latest changes, up to a bounded window, for watches that resume."""
        found = {}
        for site in self.sites():
            try:
                found[site] = int(client.CoordinationV1Api(self.apis[site]).list_namespaced_lease(
                    self.namespaces[site], limit=1, _request_timeout=READ_TIMEOUT_SECONDS).metadata.resource_version)
            except (ApiException, urllib3.exceptions.HTTPError, ValueError, TypeError):
                found[site] = None
        return found

    def endpoint(self, site):
        """The instance's client endpoint ("ip,port"), remembered once read (a restarted site keeps it)."""
        if site not in self.endpoints:
            instance = self._custom(site, "sqlmanagedinstances", "v13", self.pair["instances"][site]) or {}
            self.endpoints[site] = ((instance.get("status") or {}).get("endpoints") or {})["primary"]
        return self.endpoints[site]

    def engine(self, site):
        """The instance's own statistics (role, committed LSN, counters), or None when it does not answer."""
        try:
            with SqlClient(self.endpoint(site), timeout=READ_TIMEOUT_SECONDS) as sql:
                return sql.stats()
        except OSError:
            return None

    def records(self, site, after=0):
        """The instance's log records after LSN `after` ({lsn, epoch, key, value, ts})."""
        with SqlClient(self.endpoint(site), timeout=READ_TIMEOUT_SECONDS) as sql:
            return sql.records(after)

    def unreadable(self, site, writes):
        """The acknowledged writes (lsn, key) that a client reading from `site`'s instance does not get back with
        that LSN (keys are never written twice), and why reading stopped (None when every write was read): all of
        them are unreadable when the instance refuses or does not answer."""
        missing = []
        try:
            with SqlClient(self.endpoint(site), timeout=READ_TIMEOUT_SECONDS) as sql:
                for lsn, key in writes:
                    found = sql.read(key)
                    if found is None or found[0] != lsn:
                        missing.append((lsn, key))
        except (OSError, SqlError) as exc:
            return list(writes), "%s: %s" % (site, exc)
        return missing, None

    def discard_events(self, site):
        """The Events the site's controller wrote about its instance's discarded divergent log: (name, time,
        message), oldest first (what the rejoin's handover record counts)."""
        events = client.CoreV1Api(self.apis[site]).list_namespaced_event(
            self.namespaces[site], field_selector="involvedObject.name=%s,reason=DivergentLogDiscarded"
            % self.pair["instances"][site], _request_timeout=READ_TIMEOUT_SECONDS).items
        return sorted((e.metadata.name, str(e.first_timestamp or e.event_time or e.metadata.creation_timestamp),
                       e.message) for e in events)

    def _custom(self, site, plural, version, name):
        try:
            return client.CustomObjectsApi(self.apis[site]).get_namespaced_custom_object(
                ARC_GROUP, version, self.namespaces[site], plural, name, _request_timeout=READ_TIMEOUT_SECONDS)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        except urllib3.exceptions.HTTPError:
            return None


def _api_client(report):
    configuration = client.Configuration()
    config.load_kube_config(config_file=report["kubeconfig"], context=report["context"],
                            client_configuration=configuration)
    configuration.retries = 1  # a killed site must read as down within seconds, not after the client's retries
    return client.ApiClient(configuration)


def primaries(roles):
    """The sites whose role reads Primary (any case: controllers differ)."""
    return sorted(site for site, role in roles.items() if str(role or "").lower() == "primary")


def engine_primaries(engines):
    return sorted(site for site, stats in engines.items() if stats and stats.get("role") == "PRIMARY")
