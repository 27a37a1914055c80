# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wait_for with a fake clock, a scripted watch stream and a scripted read: no server, no real waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest
import urllib3
from kubernetes.client.rest import ApiException

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, waiting
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, ArcError, WaitTimeout
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.retry import RetryPolicy
from ansible_collections.arcdata.sqlmi.plugins.module_utils.service import ApiCaller

SITE = "context site-a (https://127.0.0.1:16443)"
OBJECT = "sqlmanagedinstances.sql.arcdata.microsoft.com arc/sqlmi-primary"


def instance(state, observed, generation=2, resource_version="17", **status):
    status.update(state=state, observedGeneration=observed)
    return {"metadata": {"name": "sqlmi-primary", "generation": generation, "resourceVersion": resource_version},
            "status": status}


class Clock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeWatchModule(object):
    """Stands in for kubernetes.watch: each stream() plays the next script entry (a list of events, or an
    exception to raise); a stream that runs out of events ends as the server ends it, at timeout_seconds."""

    def __init__(self, clock, *streams):
        self.clock = clock
        self.streams = list(streams)
        self.started = []

    def Watch(self):
        return self

    def stream(self, function, *args, **kwargs):
        self.started.append((function, args, kwargs))
        script = self.streams.pop(0) if self.streams else []
        return self._play(script, kwargs["timeout_seconds"])

    def _play(self, script, timeout_seconds):
        if isinstance(script, Exception):
            raise script
        for event in script:
            self.clock.now += 0.01
            yield event
        self.clock.now += timeout_seconds


class FakeResources(object):
    def __init__(self, *reads):
        self.reads = list(reads)
        self.gets = 0
        self.caller = ApiCaller(SITE, policy=RetryPolicy(rng=random.Random(5)), sleep=lambda seconds: None)
        self.kind, self.version, self.namespace = SQL_MANAGED_INSTANCE, "v13", "arc"

        class Api(object):
            @staticmethod
            def list_namespaced_custom_object(*args, **kwargs):
                raise AssertionError("the fake watch never calls the list function")
        self.api = Api()

    def describe(self, name=None):
        return "sqlmanagedinstances.sql.arcdata.microsoft.com arc/%s" % name

    def get(self, name):
        self.gets += 1
        answer = self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(waiting, "time", fake)
    return fake


def fake_watch(monkeypatch, clock, *streams):
    module = FakeWatchModule(clock, *streams)
    monkeypatch.setattr(waiting, "watch", module)
    return module


def event(kind, obj):
    return {"type": kind, "raw_object": obj, "object": obj}


def test_met_at_once_needs_no_watch(monkeypatch, clock):
    watch = fake_watch(monkeypatch, clock)
    ready = instance("Ready", 2)
    assert waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.instance_ready(2), 60, ready) is ready
    assert watch.started == []


def test_reads_the_object_when_not_given(monkeypatch, clock):
    fake_watch(monkeypatch, clock)
    resources = FakeResources(instance("Ready", 2))
    assert waiting.wait_for(resources, "sqlmi-primary", conditions.instance_ready(2), 60)["status"]["state"] == "Ready"
    assert resources.gets == 1


def test_watches_from_the_resource_version_just_read(monkeypatch, clock):
    stale = instance("Ready", 1, resource_version="18")  # the previous generation's Ready
    ready = instance("Ready", 2, resource_version="19")
    watch = fake_watch(monkeypatch, clock, [event("ADDED", stale), event("BOOKMARK", {}), event("MODIFIED", ready)])
    seen = []
    ready_for_2 = conditions.instance_ready(2)
    recording = conditions.Condition("recording", lambda obj: seen.append(obj) or ready_for_2.check(obj))
    found = waiting.wait_for(FakeResources(), "sqlmi-primary", recording, 60, instance("Updating", 1))
    assert found is ready
    assert len(watch.started) == 1
    dummy, args, kwargs = watch.started[0]
    assert args == ("sql.arcdata.microsoft.com", "v13", "arc", "sqlmanagedinstances")
    assert kwargs["field_selector"] == "metadata.name=sqlmi-primary"
    assert kwargs["resource_version"] == "17"
    assert 0 < kwargs["timeout_seconds"] <= 60
    assert [obj["status"]["observedGeneration"] for obj in seen] == [1, 1, 2]
    assert clock.sleeps == []  # event-driven: never slept


def test_a_controller_failure_ends_the_wait_at_once(monkeypatch, clock):
    failed = instance("Error", 2, message="memory_request is below 2Gi")
    fake_watch(monkeypatch, clock, [event("MODIFIED", failed)])
    with pytest.raises(ArcError) as raised:
        waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.instance_ready(2), 600, instance("Ready", 1))
    assert raised.value.message == "%s: %s: the controller reports Error: memory_request is below 2Gi" % (SITE, OBJECT)
    assert raised.value.details["site"] == SITE
    assert raised.value.details["object"] == OBJECT
    assert raised.value.details["last_object"] is failed
    assert clock.now < 1001


def test_an_error_of_the_previous_generation_does_not_end_the_wait(monkeypatch, clock):
    old_error = instance("Error", 1, message="old")
    fake_watch(monkeypatch, clock, [event("MODIFIED", old_error), event("MODIFIED", instance("Ready", 2))])
    found = waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.instance_ready(2), 60, instance("Ready", 1))
    assert found["status"]["observedGeneration"] == 2


def test_an_expired_watch_resumes_from_a_fresh_read(monkeypatch, clock):
    fresh = instance("Updating", 2, resource_version="40")
    watch = fake_watch(monkeypatch, clock,
                       [event("ERROR", {"kind": "Status", "code": 410, "message": "too old resource version"})],
                       [event("MODIFIED", instance("Ready", 2, resource_version="41"))])
    resources = FakeResources(fresh)
    found = waiting.wait_for(resources, "sqlmi-primary", conditions.instance_ready(2), 60, instance("Updating", 1))
    assert found["metadata"]["resourceVersion"] == "41"
    assert resources.gets == 1
    assert [kwargs["resource_version"] for dummy, dummy2, kwargs in watch.started] == ["17", "40"]


def test_without_watch_it_polls(monkeypatch, clock):
    fake_watch(monkeypatch, clock, ApiException(status=405, reason="Method Not Allowed"))
    resources = FakeResources(instance("Updating", 1), instance("Updating", 2), instance("Ready", 2))
    found = waiting.wait_for(resources, "sqlmi-primary", conditions.instance_ready(2), 60, instance("Updating", 1))
    assert found["status"]["state"] == "Ready"
    assert resources.gets == 3
    assert clock.sleeps == [waiting.POLL_SECONDS] * 3


def test_an_interrupted_watch_is_resumed(monkeypatch, clock):
    watch = fake_watch(monkeypatch, clock, urllib3.exceptions.ProtocolError("Connection broken"),
                       [event("MODIFIED", instance("Ready", 2))])
    resources = FakeResources(instance("Updating", 2))
    found = waiting.wait_for(resources, "sqlmi-primary", conditions.instance_ready(2), 60, instance("Updating", 1))
    assert found["status"]["state"] == "Ready"
    assert len(watch.started) == 2
    assert resources.gets == 1


def test_a_site_that_stops_answering_ends_the_wait_at_once(monkeypatch, clock):
    fake_watch(monkeypatch, clock, urllib3.exceptions.ProtocolError("Connection broken"))
    down = ApiFailure("%s: get %s failed after 5 attempts: the API is unreachable (Connection refused)" % (
        SITE, OBJECT), status=None, reason="Unreachable")
    with pytest.raises(ArcError) as raised:
        waiting.wait_for(FakeResources(down), "sqlmi-primary", conditions.instance_ready(2), 600,
                         instance("Updating", 1))
    message = raised.value.message
    assert message.startswith("%s: gave up waiting for %s after " % (SITE, OBJECT)), message
    assert "the site's API stopped answering" in message and "Connection refused" in message, message
    assert "status.state was last seen" in message, message
    assert raised.value.details["reason"] == "Unreachable"
    assert clock.now < 1010, "ended long before its 600 s timeout"


def test_a_watch_answered_with_a_5xx_or_429_is_resumed(monkeypatch, clock):
    watch = fake_watch(monkeypatch, clock, ApiException(status=500, reason="Internal Server Error"),
                       [event("ERROR", {"kind": "Status", "code": 503, "message": "try again"})],
                       ApiException(status=429, reason="Too Many Requests"),
                       [event("MODIFIED", instance("Ready", 2))])
    resources = FakeResources(instance("Updating", 2))
    found = waiting.wait_for(resources, "sqlmi-primary", conditions.instance_ready(2), 60, instance("Updating", 1))
    assert found["status"]["state"] == "Ready"
    assert len(watch.started) == 4
    assert resources.gets == 3  # a fresh read after each interruption


def test_a_refused_watch_is_an_api_failure(monkeypatch, clock):
    fake_watch(monkeypatch, clock, ApiException(status=403, reason="Forbidden"))
    with pytest.raises(ApiFailure) as raised:
        waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.instance_ready(2), 60, instance("Updating", 1))
    assert raised.value.message.startswith("%s: watch %s failed: HTTP 403" % (SITE, OBJECT))


def test_a_deletion_event_meets_deleted(monkeypatch, clock):
    fake_watch(monkeypatch, clock, [event("MODIFIED", instance("Deleting", 2)), event("DELETED", instance("x", 2))])
    assert waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.deleted(), 60, instance("Ready", 2)) is None


def test_a_timeout_names_object_field_expected_seen_and_elapsed(monkeypatch, clock):
    last = instance("Updating", 1, resource_version="20")
    fake_watch(monkeypatch, clock, [event("MODIFIED", last)])
    with pytest.raises(WaitTimeout) as raised:
        waiting.wait_for(FakeResources(), "sqlmi-primary", conditions.instance_ready(2), 30, instance("Updating", 1))
    failure = raised.value
    assert failure.message.startswith("%s: timed out after " % SITE)
    assert ("waiting for %s: status.state to be 'Ready' for generation 2, last seen state='Updating' "
            "(observedGeneration 1 of 2)" % OBJECT) in failure.message
    assert failure.details["last_object"] is last
    assert failure.details["field"] == "status.state"
    assert failure.details["expected"] == "'Ready' for generation 2"
    assert failure.details["object"] == OBJECT
    assert 30 <= failure.details["elapsed"] <= 32
    assert "%.1f s" % (clock.now - 1000.0) in failure.message
