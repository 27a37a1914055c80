# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and writes of one kind at one site, retried where that is safe, reported where not.

Every call goes through `ApiCaller.call`: transient failures (see retry.py) are retried with
backoff; the rest become an ApiFailure whose message names the site, the verb, the object, the
HTTP status and the API's own Status.message. Writes are JSON merge patches of only the fields
the module owns; a 409 Conflict re-reads the object and recomputes the patch. In check mode every
write carries dryRun=All, so the API validates it and stores nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time

from .errors import ApiFailure, lacks_permission
from .rest import CoreObjects, CustomObjects
from .retry import RetryPolicy, parse_retry_after

try:
    from kubernetes.client.rest import ApiException
    import urllib3
    TRANSIENT = (urllib3.exceptions.HTTPError, OSError)
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    ApiException = TRANSIENT = None

REQUEST_TIMEOUT = (10, 60)
MERGE_PATCH = "application/merge-patch+json"
MAX_CONFLICT_RETRIES = 5


def api_message(exc):
    """The API's own explanation from an ApiException (Status.message), else its reason."""
    try:
        body = json.loads(exc.body)
        return body.get("message") or exc.reason
    except (TypeError, ValueError, AttributeError):
        return getattr(exc, "reason", None) or str(exc)


def api_status_reason(exc):
    try:
        return json.loads(exc.body).get("reason")
    except (TypeError, ValueError, AttributeError):
        return None


def transport_reason(exc):
    """What a connection failure comes down to (e.g. 'Connection refused'), without urllib3's description of
    its connection pool, which repeats the host and port the message already names."""
    cause = getattr(exc, "reason", None)  # urllib3's MaxRetryError wraps the last connection error
    text = str(cause if isinstance(cause, Exception) else exc)
    return re.sub(r"^HTTPS?Connection(Pool)?\([^)]*\): ", "", text)


class ApiCaller(object):
    def __init__(self, site, policy=None, sleep=time.sleep):
        self.site = site
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.attempts = []  # (verb, what, status) of every retried failure, for diagnostics

    def call(self, verb, what, function, *args, **kwargs):
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        attempt = 1
        while True:
            try:
                return function(*args, **kwargs)
            except ApiException as exc:
                status, retry_after = exc.status, parse_retry_after(exc.headers)
                failure = exc
            except TRANSIENT as exc:  # connection refused or reset, timeout: the site may be down
                status, retry_after, failure = None, None, exc
            if not self.policy.should_retry(status, attempt):
                raise self.failure(verb, what, failure, attempt)
            self.attempts.append((verb, what, status))
            self._sleep(self.policy.delay(attempt, retry_after))
            attempt += 1

    def failure(self, verb, what, exc, attempts=1):
        tries = " after %d attempts" % attempts if attempts > 1 else ""
        if isinstance(exc, ApiException):
            explanation = api_message(exc)
            if exc.status == 403:  # never retried (retry.py): only a change of the credentials' Role helps
                explanation = lacks_permission(explanation)
            return ApiFailure("%s: %s %s failed%s: HTTP %s %s: %s" % (
                self.site, verb, what, tries, exc.status, api_status_reason(exc) or exc.reason, explanation),
                site=self.site, verb=verb, object=what, status=exc.status, reason=api_status_reason(exc))
        return ApiFailure("%s: %s %s failed%s: the API is unreachable (%s)" % (self.site, verb, what, tries,
                                                                               transport_reason(exc)),
                          site=self.site, verb=verb, object=what, status=None, reason="Unreachable")


class CustomResources(object):
    """One custom resource kind in one namespace of one site."""

    def __init__(self, api_client, caller, kind, version, namespace):
        self.api = CustomObjects(api_client)
        self.caller, self.kind, self.version, self.namespace = caller, kind, version, namespace

    def describe(self, name=None):
        return "%s %s/%s" % (self.kind.qualified, self.namespace, name) if name else \
            "%s in namespace %s" % (self.kind.qualified, self.namespace)

    def _args(self):
        return self.kind.group, self.version, self.namespace, self.kind.plural

    def get(self, name):
        """The object, or None if it does not exist."""
        try:
            return self.caller.call("get", self.describe(name), self.api.get_namespaced_custom_object,
                                    *(self._args() + (name,)))
        except ApiFailure as failure:
            if failure.details.get("status") == 404 and failure.details.get("reason") == "NotFound":
                return None
            raise

    def list(self):
        return self.caller.call("list", self.describe(), self.api.list_namespaced_custom_object, *self._args())

    def create(self, body, dry_run=False):
        name = body["metadata"]["name"]
        kwargs = {"dry_run": "All"} if dry_run else {}
        retried_before = len(self.caller.attempts)
        try:
            return self.caller.call("create", self.describe(name), self.api.create_namespaced_custom_object,
                                    *(self._args() + (body,)), **kwargs)
        except ApiFailure as failure:
            if failure.details.get("reason") == "AlreadyExists" and len(self.caller.attempts) > retried_before:
                # an earlier attempt of ours created it but its answer was lost: the object is ours
                existing = self.get(name)
                if existing is not None:
                    return existing
            raise

    def patch(self, name, patch, dry_run=False, recompute=None):
        """Merge-patch the object; on 409 re-read it and ask `recompute(current)` for a new patch
        (None: nothing left to change), or without `recompute` send the same patch again. Returns the object
        as the API answered."""
        for unused in range(MAX_CONFLICT_RETRIES):
            kwargs = {"dry_run": "All"} if dry_run else {}
            try:
                return self.caller.call("patch", self.describe(name), self.api.patch_namespaced_custom_object,
                                        *(self._args() + (name, patch)), _content_type=MERGE_PATCH, **kwargs)
            except ApiFailure as failure:
                if failure.details.get("status") != 409:
                    raise
                if recompute is None:
                    continue  # a merge patch of fields we own means the same after any other write: send it again
                current = self.get(name)
                patch = recompute(current) if current is not None else None
                if patch is None:
                    return current
        raise self.caller.failure("patch", self.describe(name), ApiException(status=409, reason="Conflict"),
                                  MAX_CONFLICT_RETRIES)

    def delete(self, name, dry_run=False):
        """Delete the object; returns False if it was already gone."""
        kwargs = {"dry_run": "All"} if dry_run else {}
        try:
            self.caller.call("delete", self.describe(name), self.api.delete_namespaced_custom_object,
                             *(self._args() + (name,)), **kwargs)
            return True
        except ApiFailure as failure:
            if failure.details.get("status") == 404:
                return False
            raise


class Events(object):
    """Kubernetes Events about an object (what `kubectl describe` lists under it)."""

    def __init__(self, api_client, caller, namespace):
        self.api = CoreObjects(api_client)
        self.caller, self.namespace = caller, namespace

    def record(self, involved, reason, message, event_type="Normal", dry_run=False):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        metadata = involved["metadata"]
        body = {"metadata": {"generateName": "%s." % metadata["name"], "namespace": self.namespace},
                "involvedObject": {"apiVersion": involved.get("apiVersion"), "kind": involved.get("kind"),
                                   "name": metadata["name"], "namespace": self.namespace,
                                   "uid": metadata.get("uid")},
                "reason": reason, "message": message, "type": event_type, "count": 1, "firstTimestamp": now,
                "lastTimestamp": now, "source": {"component": "arcdata.sqlmi"}}
        kwargs = {"dry_run": "All"} if dry_run else {}
        return self.caller.call("create", "Event about %s/%s" % (self.namespace, metadata["name"]),
                                self.api.create_namespaced_event, self.namespace, body, **kwargs)

    def about(self, name, reason):
        """The Events with `reason` about the object `name` of this namespace, as dicts."""
        selector = "involvedObject.name=%s,reason=%s" % (name, reason)
        answer = self.caller.call("list", "Events about %s/%s" % (self.namespace, name),
                                  self.api.list_namespaced_event, self.namespace, field_selector=selector)
        return answer.get("items") or []


class Secrets(object):
    """Secrets of one namespace (the admin login Secret of an instance), as dicts."""

    def __init__(self, api_client, caller, namespace):
        self.api = CoreObjects(api_client)
        self.caller, self.namespace = caller, namespace

    def describe(self, name):
        return "Secret %s/%s" % (self.namespace, name)

    def get(self, name):
        try:
            return self.caller.call("get", self.describe(name), self.api.read_namespaced_secret, name,
                                    self.namespace)
        except ApiFailure as failure:
            if failure.details.get("status") == 404:
                return None
            raise

    def create(self, body, dry_run=False):
        name = body["metadata"]["name"]
        kwargs = {"dry_run": "All"} if dry_run else {}
        retried_before = len(self.caller.attempts)
        try:
            return self.caller.call("create", self.describe(name), self.api.create_namespaced_secret,
                                    self.namespace, body, **kwargs)
        except ApiFailure as failure:
            if failure.details.get("reason") == "AlreadyExists" and len(self.caller.attempts) > retried_before:
                # an earlier attempt of ours created it but its answer was lost: the Secret is ours
                existing = self.get(name)
                if existing is not None:
                    return existing
            raise

    def patch(self, name, patch, dry_run=False):
        kwargs = {"dry_run": "All"} if dry_run else {}
        return self.caller.call("patch", self.describe(name), self.api.patch_namespaced_secret, name,
                                self.namespace, patch, _content_type=MERGE_PATCH, **kwargs)

    def delete(self, name, dry_run=False):
        kwargs = {"dry_run": "All"} if dry_run else {}
        try:
            self.caller.call("delete", self.describe(name), self.api.delete_namespaced_secret, name,
                             self.namespace, **kwargs)
        except ApiFailure as failure:
            if failure.details.get("status") != 404:
                raise
