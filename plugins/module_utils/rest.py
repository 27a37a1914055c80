# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests made straight through the kubernetes ApiClient (its credentials, TLS and timeouts), without the
library's generated API classes.

Since kubernetes 35 every method of those classes is wrapped by pydantic when the class is defined, which costs
CPU in each module run that touches a class: about 0.5 s for CoreV1Api (hundreds of methods), 0.05 s for
CustomObjectsApi, where the requests themselves take milliseconds. The adapters here offer the few methods the
collection calls, under the generated names and arguments (so kubernetes.watch and the callers see the same
interface), and answer with the decoded JSON, as the generated custom objects API does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.six.moves.urllib.parse import quote

try:
    from kubernetes.client.rest import ApiException
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    ApiException = None

JSON = "application/json"
# the generated methods' keyword arguments that become query parameters
QUERY = {"dry_run": "dryRun", "field_selector": "fieldSelector", "label_selector": "labelSelector",
         "resource_version": "resourceVersion", "timeout_seconds": "timeoutSeconds", "watch": "watch",
         "allow_watch_bookmarks": "allowWatchBookmarks"}


def request(api_client, method, path, query=None, body=None, content_type=None, accept=JSON,
            _preload_content=True, _request_timeout=None):
    """The decoded JSON answer, or with _preload_content=False the open urllib3 response (a watch's stream). An
    answer other than 2xx raises ApiException, as the generated methods do."""
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = content_type or JSON
    # only what is given, in the argument names both client generations share
    given = dict((k, v) for k, v in (("query_params", query), ("body", body)) if v is not None)
    if hasattr(api_client, "param_serialize"):  # kubernetes >= 35 (openapi-generator 7 clients)
        method, url, headers, body, unused = api_client.param_serialize(
            method=method, resource_path=path, header_params=headers, auth_settings=["BearerToken"], **given)
        response = api_client.call_api(method, url, header_params=headers, body=body,
                                       _request_timeout=_request_timeout)
        if not _preload_content:
            return response.response
        response.read()
        if not 200 <= response.status <= 299:  # these clients leave the status check to deserialisation
            raise ApiException(http_resp=response)
        return json.loads(response.data) if response.data else None
    response = api_client.call_api(path, method, header_params=headers, auth_settings=["BearerToken"],
                                   _preload_content=False, _return_http_data_only=True,
                                   _request_timeout=_request_timeout, **given)
    if not _preload_content:
        return response
    return json.loads(response.data) if response.data else None


def _path(prefix, *segments):
    """`prefix` and the segments given, each quoted as the generated methods quote path parameters (names come
    from the module's options)."""
    return prefix + "".join("/" + quote(str(s), safe="") for s in segments if s is not None)


def _split(kwargs):
    """(query, content type, request options) from a generated method's keyword arguments; an argument the
    adapters do not know is an error, not a silently dropped parameter."""
    options = dict((k, kwargs.pop(k)) for k in ("_preload_content", "_request_timeout") if k in kwargs)
    content_type = kwargs.pop("_content_type", None)
    unknown = set(kwargs) - set(QUERY)
    if unknown:
        raise TypeError("unexpected arguments %s" % ", ".join(sorted(unknown)))
    query = [(QUERY[k], str(v).lower() if isinstance(v, bool) else v) for k, v in sorted(kwargs.items())]
    return query or None, content_type, options


class CustomObjects(object):
    """kubernetes.client.CustomObjectsApi's namespaced calls."""

    def __init__(self, api_client):
        self.api_client = api_client

    def _call(self, method, path, kwargs, body=None):
        query, content_type, options = _split(kwargs)
        return request(self.api_client, method, path, query, body, content_type, **options)

    @staticmethod
    def _resource_path(group, version, namespace, plural, name=None):
        return _path("/apis", group, version, "namespaces", namespace, plural, name)

    def get_namespaced_custom_object(self, group, version, namespace, plural, name, **kwargs):
        return self._call("GET", self._resource_path(group, version, namespace, plural, name), kwargs)

    def list_namespaced_custom_object(self, group, version, namespace, plural, **kwargs):
        """Also the watch: kubernetes.watch.Watch passes watch=True and _preload_content=False."""
        return self._call("GET", self._resource_path(group, version, namespace, plural), kwargs)

    def create_namespaced_custom_object(self, group, version, namespace, plural, body, **kwargs):
        return self._call("POST", self._resource_path(group, version, namespace, plural), kwargs, body)

    def patch_namespaced_custom_object(self, group, version, namespace, plural, name, body, **kwargs):
        return self._call("PATCH", self._resource_path(group, version, namespace, plural, name), kwargs, body)

    def delete_namespaced_custom_object(self, group, version, namespace, plural, name, **kwargs):
        return self._call("DELETE", self._resource_path(group, version, namespace, plural, name), kwargs)


class CoreObjects(object):
    """kubernetes.client.CoreV1Api's Secret and Event calls, answering with dicts rather than models."""

    def __init__(self, api_client):
        self.api_client = api_client

    def _call(self, method, namespace, plural, name, kwargs, body=None):
        query, content_type, options = _split(kwargs)
        return request(self.api_client, method, _path("/api/v1/namespaces", namespace, plural, name), query, body,
                       content_type, **options)

    def read_namespaced_secret(self, name, namespace, **kwargs):
        return self._call("GET", namespace, "secrets", name, kwargs)

    def create_namespaced_secret(self, namespace, body, **kwargs):
        return self._call("POST", namespace, "secrets", None, kwargs, body)

    def patch_namespaced_secret(self, name, namespace, body, **kwargs):
        return self._call("PATCH", namespace, "secrets", name, kwargs, body)

    def delete_namespaced_secret(self, name, namespace, **kwargs):
        return self._call("DELETE", namespace, "secrets", name, kwargs)

    def create_namespaced_event(self, namespace, body, **kwargs):
        return self._call("POST", namespace, "events", None, kwargs, body)

    def list_namespaced_event(self, namespace, **kwargs):
        return self._call("GET", namespace, "events", None, kwargs)
