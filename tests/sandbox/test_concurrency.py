"""Optimistic concurrency under contention: many clients doing read-modify-write on one object.

Every writer reads the object, appends its own write id to an annotation, increments a counter and
replaces the object with the resourceVersion it read. A stale write must get 409 Conflict and change
nothing; a fresh one must be stored whole. At the end the object must show every acknowledged write
exactly once: a lost update (two writers both acknowledged over the same version) or a write
applied twice would show.
"""
import json
import threading
import time

from kubernetes.client.rest import ApiException

from .conftest import ARC_GROUP, sqlmi_body

VERSION = "v13"
PLURAL = "sqlmanagedinstances"
WRITERS = 20
WRITES_PER_WRITER = 10  # 200 acknowledged updates in total
SANITY_BOUND_S = 10  # not a performance target: only "the server did not hang"


class Outcome:
    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = []  # (write id, resourceVersion answered)
        self.conflicts = []  # Status bodies of the 409s
        self.unexpected = []

    def add(self, bucket, item):
        with self.lock:
            bucket.append(item)


def writer(site, name, index, outcome, first_read_done):
    api = site.custom()
    for seq in range(WRITES_PER_WRITER):
        write_id = f"w{index}.{seq}"
        while True:
            obj = api.get_namespaced_custom_object(ARC_GROUP, VERSION, site.namespace, PLURAL, name)
            if first_read_done is not None:
                # every writer holds the same version before anyone writes: at least WRITERS - 1 conflicts
                first_read_done.wait()
                first_read_done = None
            annotations = obj["metadata"]["annotations"]
            annotations["writes"] = " ".join(filter(None, [annotations["writes"], write_id]))
            annotations["count"] = str(int(annotations["count"]) + 1)
            try:
                stored = api.replace_namespaced_custom_object(ARC_GROUP, VERSION, site.namespace, PLURAL, name, obj)
            except ApiException as exc:
                if exc.status != 409:
                    outcome.add(outcome.unexpected, (exc.status, exc.body))
                    return
                outcome.add(outcome.conflicts, exc.body)
                continue  # re-read and retry
            outcome.add(outcome.acknowledged, (write_id, stored["metadata"]["resourceVersion"]))
            break


def probe(site, stop, latencies, codes):
    """Reads of another object while the writers hammer the first one."""
    api = site.custom()
    while not stop.is_set():
        started = time.monotonic()
        try:
            api.get_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                             "arc-dc")
            codes.append(200)
        except ApiException as exc:
            codes.append(exc.status)
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)


def test_read_modify_write_storm_loses_no_update(primary, unique_name):
    name = unique_name("race")
    body = sqlmi_body(name, primary.namespace)
    body["metadata"]["annotations"] = {"writes": "", "count": "0"}
    created = primary.custom().create_namespaced_custom_object(ARC_GROUP, VERSION, primary.namespace, PLURAL, body)
    outcome, first_read_done = Outcome(), threading.Barrier(WRITERS, timeout=30)
    stop, latencies, probe_codes = threading.Event(), [], []
    mark = primary.audit_mark()

    prober = threading.Thread(target=probe, args=(primary, stop, latencies, probe_codes))
    writers = [threading.Thread(target=writer, args=(primary, name, i, outcome, first_read_done))
               for i in range(WRITERS)]
    started = time.monotonic()
    prober.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    stop.set()
    prober.join()
    print(f"{len(outcome.acknowledged)} updates, {len(outcome.conflicts)} conflicts in {elapsed:.2f}s; "
          f"probe reads: {len(latencies)}, slowest {max(latencies) * 1000:.1f} ms")

    assert not any(t.is_alive() for t in writers), "a writer hung"
    assert outcome.unexpected == []
    final = primary.custom().get_namespaced_custom_object(ARC_GROUP, VERSION, primary.namespace, PLURAL, name)
    acknowledged_ids = [write_id for write_id, dummy in outcome.acknowledged]
    # no update lost, none applied twice
    assert len(acknowledged_ids) == WRITERS * WRITES_PER_WRITER
    assert sorted(final["metadata"]["annotations"]["writes"].split()) == sorted(acknowledged_ids)
    assert final["metadata"]["annotations"]["count"] == str(WRITERS * WRITES_PER_WRITER)
    # every acknowledged write made a version of its own, and the last one is what is stored
    versions = [rv for dummy, rv in outcome.acknowledged]
    assert len(set(versions)) == len(versions)
    assert final["metadata"]["resourceVersion"] in versions
    assert created["metadata"]["resourceVersion"] not in versions
    # metadata-only updates do not bump a custom resource's generation
    assert final["metadata"]["generation"] == 1
    # stale writes surfaced as 409 Conflict with a Status body
    assert len(outcome.conflicts) >= WRITERS - 1
    for body in map(json.loads, outcome.conflicts):
        assert (body["kind"], body["reason"], body["code"]) == ("Status", "Conflict", 409)
        assert body["details"]["name"] == name
    # the audit log saw the same: one 200 per acknowledged update, one 409 per conflict
    updates = [e["code"] for e in primary.audit_since(mark) if e["verb"] == "update" and e["name"] == name]
    assert updates.count(200) == len(outcome.acknowledged)
    assert updates.count(409) == len(outcome.conflicts)
    assert len(updates) == len(outcome.acknowledged) + len(outcome.conflicts)
    # the server kept answering other clients meanwhile
    assert probe_codes and set(probe_codes) == {200}
    assert max(latencies) < SANITY_BOUND_S
