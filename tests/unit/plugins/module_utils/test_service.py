# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest
import urllib3

from ansible_collections.arcdata.sqlmi.plugins.module_utils import service
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.retry import RetryPolicy
from ansible_collections.arcdata.sqlmi.plugins.module_utils.service import ApiCaller, CustomResources, Secrets

SITE = "context site-a (https://127.0.0.1:16443)"
OBJECT = "sqlmanagedinstances.sql.arcdata.microsoft.com arc/sqlmi-primary"


class Script(object):
    """A fake API function: answers (or raises) the given outcomes in turn and records every call."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def caller(sleeps):
    return ApiCaller(SITE, policy=RetryPolicy(rng=random.Random(1234)), sleep=sleeps.append)


def unavailable(api_exception, **kwargs):
    return api_exception(503, "Service Unavailable", "the server is currently unable to handle the request",
                         "ServiceUnavailable", **kwargs)


# -- ApiCaller ----------------------------------------------------------------------------------

def test_call_passes_arguments_and_a_request_timeout(caller):
    function = Script({"kind": "SqlManagedInstance"})
    assert caller.call("get", OBJECT, function, "a", "b", extra=1) == {"kind": "SqlManagedInstance"}
    assert function.calls == [(("a", "b"), {"extra": 1, "_request_timeout": service.REQUEST_TIMEOUT})]
    caller.call("get", OBJECT, function, _request_timeout=3)
    assert function.calls[-1][1] == {"_request_timeout": 3}


def test_call_retries_then_succeeds(caller, sleeps, api_exception):
    function = Script(unavailable(api_exception), api_exception(500, "Internal Server Error"),
                      urllib3.exceptions.ProtocolError("Connection aborted."), {"ok": True})
    assert caller.call("get", OBJECT, function) == {"ok": True}
    assert len(function.calls) == 4
    assert len(sleeps) == 3
    assert caller.attempts == [("get", OBJECT, 503), ("get", OBJECT, 500), ("get", OBJECT, None)]
    for attempt, delay in enumerate(sleeps, 1):
        ceiling = min(RetryPolicy().max_delay, RetryPolicy().base_delay * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "Connection refused"),
                                   urllib3.exceptions.ReadTimeoutError(None, "/apis", "Read timed out."),
                                   urllib3.exceptions.NewConnectionError(None, "Failed to establish a connection")])
def test_call_retries_connection_failures(caller, sleeps, error):
    function = Script(error, "answer")
    assert caller.call("get", OBJECT, function) == "answer"
    assert len(sleeps) == 1


def test_call_honours_retry_after(caller, sleeps, api_exception):
    function = Script(api_exception(429, "Too Many Requests", "too many requests", "TooManyRequests",
                                    headers={"Retry-After": "2"}),
                      unavailable(api_exception, headers={"retry-after": "3600"}), "answer")
    assert caller.call("list", OBJECT, function) == "answer"
    assert sleeps == [2.0, 30.0]


def test_call_gives_up_with_a_message_naming_everything(caller, sleeps, api_exception):
    function = Script(unavailable(api_exception))
    with pytest.raises(ApiFailure) as raised:
        caller.call("patch", OBJECT, function)
    failure = raised.value
    assert len(function.calls) == RetryPolicy().max_attempts
    assert len(sleeps) == RetryPolicy().max_attempts - 1
    assert failure.message == (
        "%s: patch %s failed after 10 attempts: HTTP 503 ServiceUnavailable: the server is currently unable to "
        "handle the request" % (SITE, OBJECT))
    assert failure.details == {"site": SITE, "verb": "patch", "object": OBJECT, "status": 503,
                               "reason": "ServiceUnavailable"}
    assert str(failure) == failure.message


def test_call_gives_up_on_an_unreachable_site(caller, sleeps):
    function = Script(ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(ApiFailure) as raised:
        caller.call("get", OBJECT, function)
    assert raised.value.message.startswith("%s: get %s failed after 5 attempts: the API is unreachable (" % (
        SITE, OBJECT))
    assert "Connection refused" in raised.value.message
    assert raised.value.details["status"] is None
    assert raised.value.details["reason"] == "Unreachable"


@pytest.mark.parametrize("status, reason, status_reason", [
    (400, "Bad Request", "BadRequest"), (401, "Unauthorized", "Unauthorized"), (403, "Forbidden", "Forbidden"),
    (404, "Not Found", "NotFound"), (409, "Conflict", "Conflict"), (422, "Unprocessable Entity", "Invalid"),
])
def test_call_does_not_retry_requests_that_are_wrong(caller, sleeps, api_exception, status, reason, status_reason):
    function = Script(api_exception(status, reason, "the API says no", status_reason), "never")
    with pytest.raises(ApiFailure) as raised:
        caller.call("create", OBJECT, function)
    assert len(function.calls) == 1
    assert sleeps == [] and caller.attempts == []
    assert raised.value.details["status"] == status
    assert raised.value.details["reason"] == status_reason
    assert " after " not in raised.value.message


def test_call_422_message_carries_the_status_message(caller, api_exception):
    message = ('SqlManagedInstance.sql.arcdata.microsoft.com "sqlmi-primary" is invalid: spec.replicas: Invalid '
               'value: 5: spec.replicas in body should be less than or equal to 3')
    function = Script(api_exception(422, "Unprocessable Entity", message, "Invalid"))
    with pytest.raises(ApiFailure) as raised:
        caller.call("create", OBJECT, function)
    assert raised.value.message == "%s: create %s failed: HTTP 422 Invalid: %s" % (SITE, OBJECT, message)


def test_failure_without_a_status_body_uses_the_http_reason(caller, api_exception):
    function = Script(api_exception(502, "Bad Gateway", body="<html>upstream connect error</html>"))
    with pytest.raises(ApiFailure) as raised:
        caller.call("get", OBJECT, function)
    assert raised.value.message.endswith("failed after 10 attempts: HTTP 502 Bad Gateway: Bad Gateway")
    assert raised.value.details["reason"] is None


def test_attempts_are_bounded_by_the_policy(sleeps, api_exception):
    caller = ApiCaller(SITE, policy=RetryPolicy(max_attempts=2, rng=random.Random(1)), sleep=sleeps.append)
    function = Script(unavailable(api_exception))
    with pytest.raises(ApiFailure) as raised:
        caller.call("get", OBJECT, function)
    assert len(function.calls) == 2
    assert "after 2 attempts" in raised.value.message


def test_other_exceptions_are_not_caught(caller):
    function = Script(KeyError("bug"))
    with pytest.raises(KeyError):
        caller.call("get", OBJECT, function)
    assert len(function.calls) == 1


# -- CustomResources ----------------------------------------------------------------------------

class FakeCustomObjectsApi(object):
    def __init__(self, **scripts):
        self.get_namespaced_custom_object = scripts.get("get", Script(AssertionError("unexpected get")))
        self.list_namespaced_custom_object = scripts.get("list", Script(AssertionError("unexpected list")))
        self.create_namespaced_custom_object = scripts.get("create", Script(AssertionError("unexpected create")))
        self.patch_namespaced_custom_object = scripts.get("patch", Script(AssertionError("unexpected patch")))
        self.delete_namespaced_custom_object = scripts.get("delete", Script(AssertionError("unexpected delete")))


def instances(caller, **scripts):
    resources = CustomResources(object(), caller, SQL_MANAGED_INSTANCE, "v13", "arc")
    resources.api = FakeCustomObjectsApi(**scripts)
    return resources


def not_found(api_exception):
    return api_exception(404, "Not Found", 'sqlmanagedinstances.sql.arcdata.microsoft.com "sqlmi-primary" not '
                         'found', "NotFound")


def already_exists(api_exception):
    return api_exception(409, "Conflict", 'sqlmanagedinstances.sql.arcdata.microsoft.com "sqlmi-primary" already '
                         'exists', "AlreadyExists")


def conflict(api_exception):
    return api_exception(409, "Conflict", "Operation cannot be fulfilled on sqlmanagedinstances: the object has "
                         "been modified; please apply your changes to the latest version and try again", "Conflict")


BODY = {"apiVersion": "sql.arcdata.microsoft.com/v13", "kind": "SqlManagedInstance",
        "metadata": {"name": "sqlmi-primary"}, "spec": {"tier": "BusinessCritical"}}
STORED = {"apiVersion": "sql.arcdata.microsoft.com/v13", "kind": "SqlManagedInstance",
          "metadata": {"name": "sqlmi-primary", "generation": 1, "resourceVersion": "10"},
          "spec": {"tier": "BusinessCritical", "replicas": 3}}


def test_describe(caller):
    resources = instances(caller)
    assert resources.describe("sqlmi-primary") == OBJECT
    assert resources.describe() == "sqlmanagedinstances.sql.arcdata.microsoft.com in namespace arc"


def test_get(caller):
    get = Script(STORED)
    assert instances(caller, get=get).get("sqlmi-primary") == STORED
    assert get.calls[0][0] == ("sql.arcdata.microsoft.com", "v13", "arc", "sqlmanagedinstances", "sqlmi-primary")


def test_get_of_a_missing_object_is_none(caller, api_exception):
    assert instances(caller, get=Script(not_found(api_exception))).get("sqlmi-primary") is None


def test_get_does_not_hide_other_failures(caller, api_exception):
    with pytest.raises(ApiFailure) as raised:
        instances(caller, get=Script(api_exception(403, "Forbidden", "cannot get", "Forbidden"))).get("sqlmi-primary")
    assert raised.value.details["status"] == 403
    assert raised.value.message.startswith("%s: get %s failed: HTTP 403 Forbidden: " % (SITE, OBJECT))
    assert "cannot get" in raised.value.message


FORBIDDEN_PATCH = ('failovergroups.sql.arcdata.microsoft.com "dag1" is forbidden: User '
                   '"system:serviceaccount:arc:arcdata-sqlmi-viewer" cannot patch resource "failovergroups" in API '
                   'group "sql.arcdata.microsoft.com" in the namespace "arc"')


def test_a_403_is_reported_as_a_permission_problem_with_the_role_to_grant(caller, sleeps, api_exception):
    function = Script(api_exception(403, "Forbidden", FORBIDDEN_PATCH, "Forbidden"), "never")
    with pytest.raises(ApiFailure) as raised:
        caller.call("patch", OBJECT, function)
    assert raised.value.message == (
        "%s: patch %s failed: HTTP 403 Forbidden: the credentials used for this site lack permission: %s; the "
        "collection's Role, which grants what it needs, is extensions/rbac/arcdata-sqlmi-role.yml in the "
        "arcdata.sqlmi collection (see docs/rbac.md)" % (SITE, OBJECT, FORBIDDEN_PATCH))
    assert len(function.calls) == 1 and sleeps == []  # a permission never comes by itself: not retried
    assert raised.value.details == {"site": SITE, "verb": "patch", "object": OBJECT, "status": 403,
                                    "reason": "Forbidden"}


def test_other_refusals_carry_no_permission_hint(caller, sleeps, api_exception):
    function = Script(api_exception(422, "Unprocessable Entity", "spec.replicas: Invalid value", "Invalid"))
    with pytest.raises(ApiFailure) as raised:
        caller.call("patch", OBJECT, function)
    assert "permission" not in raised.value.message and "extensions/rbac" not in raised.value.message


def test_create(caller):
    create = Script(STORED)
    assert instances(caller, create=create).create(BODY) == STORED
    args, kwargs = create.calls[0]
    assert args == ("sql.arcdata.microsoft.com", "v13", "arc", "sqlmanagedinstances", BODY)
    assert "dry_run" not in kwargs


def test_create_in_check_mode_is_a_dry_run(caller):
    create = Script(STORED)
    instances(caller, create=create).create(BODY, dry_run=True)
    assert create.calls[0][1]["dry_run"] == "All"


def test_create_already_exists_at_first_attempt_is_an_error(caller, api_exception):
    get = Script(STORED)
    with pytest.raises(ApiFailure) as raised:
        instances(caller, create=Script(already_exists(api_exception)), get=get).create(BODY)
    assert raised.value.details["reason"] == "AlreadyExists"
    assert "already exists" in raised.value.message
    assert get.calls == []


def test_create_already_exists_after_a_retried_attempt_is_ours(caller, sleeps, api_exception):
    create = Script(unavailable(api_exception), already_exists(api_exception))
    get = Script(STORED)
    assert instances(caller, create=create, get=get).create(BODY) == STORED
    assert len(create.calls) == 2
    assert len(get.calls) == 1
    assert len(sleeps) == 1


def test_create_retries_of_earlier_calls_do_not_count(caller, api_exception):
    """Only a retry of this very create makes AlreadyExists ours; a retried earlier read does not."""
    resources = instances(caller, get=Script(unavailable(api_exception), STORED),
                          create=Script(already_exists(api_exception)))
    resources.get("sqlmi-primary")
    assert len(caller.attempts) == 1
    with pytest.raises(ApiFailure):
        resources.create(BODY)


def test_patch_sends_a_merge_patch(caller):
    patch = Script(STORED)
    assert instances(caller, patch=patch).patch("sqlmi-primary", {"spec": {"replicas": 3}}) == STORED
    args, kwargs = patch.calls[0]
    assert args == ("sql.arcdata.microsoft.com", "v13", "arc", "sqlmanagedinstances", "sqlmi-primary",
                    {"spec": {"replicas": 3}})
    assert kwargs["_content_type"] == service.MERGE_PATCH
    assert "dry_run" not in kwargs


def test_patch_in_check_mode_is_a_dry_run(caller):
    patch = Script(STORED)
    instances(caller, patch=patch).patch("sqlmi-primary", {"spec": {"replicas": 3}}, dry_run=True)
    assert patch.calls[0][1]["dry_run"] == "All"


def test_patch_conflict_rereads_and_recomputes(caller, api_exception):
    current = dict(STORED, metadata=dict(STORED["metadata"], resourceVersion="11"))
    patched = dict(current, spec={"tier": "BusinessCritical", "replicas": 2})
    patch = Script(conflict(api_exception), patched)
    get = Script(current)
    seen = []

    def recompute(obj):
        seen.append(obj)
        return {"spec": {"replicas": 2}, "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]}}
    result = instances(caller, patch=patch, get=get).patch("sqlmi-primary", {"spec": {"replicas": 2}},
                                                           recompute=recompute)
    assert result == patched
    assert seen == [current]
    assert len(get.calls) == 1
    assert patch.calls[1][0][-1] == {"spec": {"replicas": 2}, "metadata": {"resourceVersion": "11"}}


def test_patch_conflict_stops_when_nothing_is_left_to_change(caller, api_exception):
    patch = Script(conflict(api_exception), AssertionError("must not patch again"))
    get = Script(STORED)
    result = instances(caller, patch=patch, get=get).patch("sqlmi-primary", {"spec": {"replicas": 3}},
                                                           recompute=lambda obj: None)
    assert result == STORED
    assert len(patch.calls) == 1


def test_patch_conflict_without_recompute_sends_the_same_patch_again(caller, api_exception):
    patch = Script(conflict(api_exception), STORED)
    result = instances(caller, patch=patch).patch("sqlmi-primary", {"metadata": {"annotations": {"a": "1"}}})
    assert result == STORED
    assert len(patch.calls) == 2
    assert patch.calls[0] == patch.calls[1]


def test_patch_conflicts_without_recompute_are_bounded(caller, api_exception):
    patch = Script(conflict(api_exception))
    with pytest.raises(ApiFailure) as raised:
        instances(caller, patch=patch).patch("sqlmi-primary", {"spec": {"replicas": 3}})
    assert raised.value.details["status"] == 409
    assert len(patch.calls) == service.MAX_CONFLICT_RETRIES


def test_patch_conflicts_are_bounded(caller, api_exception):
    patch = Script(conflict(api_exception))
    get = Script(STORED)
    with pytest.raises(ApiFailure) as raised:
        instances(caller, patch=patch, get=get).patch("sqlmi-primary", {"spec": {"replicas": 3}},
                                                      recompute=lambda obj: {"spec": {"replicas": 3}})
    assert len(patch.calls) == service.MAX_CONFLICT_RETRIES
    assert raised.value.details["status"] == 409
    assert "patch %s failed after %d attempts: HTTP 409" % (OBJECT, service.MAX_CONFLICT_RETRIES) in \
        raised.value.message


def test_patch_other_failures_are_not_recomputed(caller, api_exception):
    patch = Script(api_exception(422, "Unprocessable Entity", "spec.replicas: Invalid value", "Invalid"))
    with pytest.raises(ApiFailure):
        instances(caller, patch=patch).patch("sqlmi-primary", {"spec": {"replicas": 9}},
                                             recompute=lambda obj: pytest.fail("recompute on a 422"))
    assert len(patch.calls) == 1


def test_delete(caller, api_exception):
    delete = Script({"kind": "Status", "status": "Success"})
    assert instances(caller, delete=delete).delete("sqlmi-primary") is True
    assert "dry_run" not in delete.calls[0][1]
    assert instances(caller, delete=Script(not_found(api_exception))).delete("sqlmi-primary") is False
    delete = Script({})
    instances(caller, delete=delete).delete("sqlmi-primary", dry_run=True)
    assert delete.calls[0][1]["dry_run"] == "All"


def test_list(caller):
    listing = Script({"items": [STORED]})
    assert instances(caller, list=listing).list() == {"items": [STORED]}
    assert listing.calls[0][0] == ("sql.arcdata.microsoft.com", "v13", "arc", "sqlmanagedinstances")


# -- Secrets ------------------------------------------------------------------------------------

class FakeCoreV1Api(object):
    def __init__(self, **scripts):
        self.read_namespaced_secret = scripts.get("get", Script(AssertionError("unexpected read")))
        self.create_namespaced_secret = scripts.get("create", Script(AssertionError("unexpected create")))
        self.patch_namespaced_secret = scripts.get("patch", Script(AssertionError("unexpected patch")))
        self.delete_namespaced_secret = scripts.get("delete", Script(AssertionError("unexpected delete")))


def secrets(caller, **scripts):
    found = Secrets(object(), caller, "arc")
    found.api = FakeCoreV1Api(**scripts)
    return found


def test_secrets(caller, api_exception):
    assert secrets(caller, get=Script(api_exception(404, "Not Found", "not found", "NotFound"))).get("s") is None
    create = Script({"metadata": {"name": "s"}})
    secrets(caller, create=create).create({"metadata": {"name": "s"}}, dry_run=True)
    assert create.calls[0][0] == ("arc", {"metadata": {"name": "s"}})
    assert create.calls[0][1]["dry_run"] == "All"
    patch = Script({})
    secrets(caller, patch=patch).patch("s", {"data": {}})
    assert patch.calls[0][0] == ("s", "arc", {"data": {}})
    assert patch.calls[0][1]["_content_type"] == service.MERGE_PATCH
    secrets(caller, delete=Script(api_exception(404, "Not Found", "not found", "NotFound"))).delete("s")
    with pytest.raises(ApiFailure) as raised:
        secrets(caller, get=Script(api_exception(403, "Forbidden", "no", "Forbidden"))).get("s")
    assert raised.value.message.startswith("%s: get Secret arc/s failed: HTTP 403" % SITE)


# -- messages -----------------------------------------------------------------------------------

def test_api_message_and_reason(api_exception):
    exc = api_exception(422, "Unprocessable Entity", "spec.tier: Unsupported value", "Invalid")
    assert service.api_message(exc) == "spec.tier: Unsupported value"
    assert service.api_status_reason(exc) == "Invalid"
    plain = api_exception(500, "Internal Server Error", body="oops")
    assert service.api_message(plain) == "Internal Server Error"
    assert service.api_status_reason(plain) is None
    empty = api_exception(500, "Internal Server Error")
    assert service.api_message(empty) == "Internal Server Error"
    assert service.api_status_reason(api_exception(500, "x", body="null")) is None
