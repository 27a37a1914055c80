"""When a site's controller made something true, by the audit log's clock.

The audit log has no request bodies, so it cannot say which of the controller's status writes made, say, an
instance Ready. A watch of the bench's own (ObjectHistory) records every version of the objects as the API
server hands them out; the first version meeting a predicate carries the controller's status.lastUpdateTime,
and the controller's first status write to that object at or after that instant is the write that produced it.
Its audit timestamp (when the API server received the request) is the moment the condition became true.
"""
import datetime
import threading
import time
from dataclasses import dataclass

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from bench.sandbox_session import collection_requests, writes

GROUP = "sql.arcdata.microsoft.com"
# any served version will do (the CRDs have no conversion); these are the ones the collection prefers
VERSIONS = {"sqlmanagedinstances": "v13", "failovergroups": "v2"}
USER_AGENT = "arc-bench-observer/1"  # its watches are told apart from everyone else's in the audit log
# the server ends each watch after this long, so that stop() never waits longer
WATCH_WINDOW_SECONDS = 1


class ObjectHistory:
    """Every version of the custom objects of `plurals` on both sites, each with the time the bench received it.
    Use as a context manager around what should be observed."""

    def __init__(self, sandbox, plurals):
        self.sandbox = sandbox
        self.plurals = tuple(plurals)
        self._versions = []  # (received at, site, plural, object)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._synced = threading.Barrier(len(sandbox.sites) * len(self.plurals) + 1)
        self._threads = []

    def __enter__(self):
        for site in self.sandbox.sites:
            for plural in self.plurals:
                thread = threading.Thread(target=self._follow, args=(site, plural), daemon=True,
                                          name="observe-%s-%s" % (site, plural))
                thread.start()
                self._threads.append(thread)
        self._synced.wait(timeout=60)  # every watch is running: nothing that follows can be missed
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=WATCH_WINDOW_SECONDS + 10)

    def versions(self, site, plural, name, after=0.0):
        """[(received at, object)] of one object, oldest first, received after `after` (epoch seconds)."""
        with self._lock:
            return [(at, obj) for at, s, p, obj in self._versions
                    if (s, p, obj["metadata"]["name"]) == (site, plural, name) and at > after]

    def names(self, site, plural):
        """The names of the objects of `plural` seen on `site`."""
        with self._lock:
            return {obj["metadata"]["name"] for unused, s, p, obj in self._versions if (s, p) == (site, plural)}

    def first_met(self, site, plural, name, predicate, after=0.0):
        """(received at, object) of the first version after `after` for which predicate(object) holds, or None."""
        return next(((at, obj) for at, obj in self.versions(site, plural, name, after) if predicate(obj)), None)

    # -- the watch of one kind on one site ------------------------------------------------------------
    def _api(self, site):
        configuration = client.Configuration()
        details = self.sandbox.sites[site]
        config.load_kube_config(config_file=details["kubeconfig"], context=details["context"],
                                client_configuration=configuration)
        api_client = client.ApiClient(configuration)
        api_client.user_agent = USER_AGENT
        return client.CustomObjectsApi(api_client), details["namespace"]

    def _follow(self, site, plural):
        api, namespace = self._api(site)
        version = self._list(api, namespace, site, plural)
        self._synced.wait(timeout=60)
        while not self._stop.is_set():
            try:
                version = self._watch(api, namespace, site, plural, version)
            except ApiException as exc:
                if exc.status != 410:
                    raise
                version = None
            except (urllib3.exceptions.HTTPError, OSError):
                time.sleep(0.1)  # a dropped watch: the next window resumes from the last version seen
            if version is None:  # expired: read the current objects and go on from there
                version = self._list(api, namespace, site, plural)

    def _list(self, api, namespace, site, plural):
        listed = api.list_namespaced_custom_object(GROUP, VERSIONS[plural], namespace, plural)
        for obj in listed["items"]:
            self._record(site, plural, obj)
        return listed["metadata"]["resourceVersion"]

    def _watch(self, api, namespace, site, plural, version):
        stream = watch.Watch().stream(api.list_namespaced_custom_object, GROUP, VERSIONS[plural], namespace, plural,
                                      resource_version=version, timeout_seconds=WATCH_WINDOW_SECONDS)
        for event in stream:
            if event["type"] == "ERROR":
                return None
            obj = event["raw_object"]
            version = obj["metadata"]["resourceVersion"]
            if event["type"] != "DELETED":
                self._record(site, plural, obj)
        return version

    def _record(self, site, plural, obj):
        with self._lock:
            self._versions.append((time.time(), site, plural, obj))


@dataclass
class Moment:
    """A controller status write that made a condition true."""
    ts: float        # when the API server received the write (audit log), epoch seconds
    observed: float  # when the bench's watch received the resulting version
    obj: dict        # that version


def status_writes(entries, plural, name):
    """The controller's writes to one object's status: status subresource writes by anyone but our modules."""
    return [e for e in writes(entries) if e["resource"] == plural + "/status" and e["name"] == name
            and e["code"] < 300 and not collection_requests([e])]


def controller_made(history, entries, site, plural, name, predicate, after=0.0):
    """The Moment the controller's status write made predicate(object) true on `site` after `after`."""
    found = history.first_met(site, plural, name, predicate, after)
    if found is None:
        raise LookupError("%s %s/%s: no version after %.3f meets the condition" % (site, plural, name, after))
    observed, obj = found
    candidates = [e for e in status_writes(entries, plural, name) if after <= e["ts"] <= observed]
    if not candidates:
        raise LookupError("%s %s/%s: no controller status write before the version that met the condition"
                          % (site, plural, name))
    stamp = epoch_of((obj.get("status") or {}).get("lastUpdateTime"))
    produced = [e for e in candidates if stamp is not None and e["ts"] >= stamp]
    # without a usable lastUpdateTime, the last write before the version arrived (off by at most a write
    # that began within the watch's delivery time)
    return Moment((produced or candidates[-1:])[0]["ts"], observed, obj)


def our_writes(entries, plural, name, verb="patch"):
    """Our modules' `verb` requests (no dry runs) to one object, oldest first."""
    return [e for e in writes(collection_requests(entries)) if (e["verb"], e["resource"], e["name"]) ==
            (verb, plural, name)]


def epoch_of(stamp):
    """Epoch seconds of a controller's or module's UTC timestamp such as 2024-05-01T10:00:00.123456Z (None if absent or unreadable)."""
    try:
        parsed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()
