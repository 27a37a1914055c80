# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Resource Manager requests: GET, LIST, and long-running PUT and DELETE of a resource URL.

Built on azure-mgmt-core's ARMPipelineClient: azure-core retries 408, 429 and 5xx answers and connection
failures (honouring Retry-After), ARM's bearer-token policy gets and refreshes the token from the
azure-identity credential (and a fresh credential's when Resource Manager refuses one, arm_token_policy.py),
and long-running operations are followed with ARMPolling (Azure-AsyncOperation, then Location, then the
resource's provisioningState) through azure-core's LROPoller. Every failure becomes an ApiFailure naming the
site (a label the caller gives), the verb, the resource ID, the HTTP status, ARM's error code and its message,
or a WaitTimeout; the credential's secret never appears in one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time
from email.utils import parsedate_to_datetime

from .arm_token_policy import RenewingTokenPolicy
from .errors import ApiFailure, InvalidInput, WaitTimeout, lacks_azure_permission

try:
    from azure.core import PipelineClient
    from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
    from azure.core.pipeline.policies import (ContentDecodePolicy, HeadersPolicy, ProxyPolicy, RequestIdPolicy,
                                              RetryPolicy, UserAgentPolicy)
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.polling import LROPoller
    from azure.core.rest import HttpRequest
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.exceptions import ARMErrorFormat
    from azure.mgmt.core.policies import ARMHttpLoggingPolicy
    from azure.mgmt.core.polling.arm_polling import ARMPolling
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib (azure_libraries.py)
    AzureError = ClientAuthenticationError = HttpResponseError = None

# Paired with the version in galaxy.yml (a unit test compares them): ARM's activity log tells our requests apart.
USER_AGENT = "arcdata.sqlmi/1.0.0"
# azure-core's retry of 408/429/5xx answers and connection failures: up to 6 retries with backoff 0.5 s doubling up
# to 20 s (about 30 s in all, as the Kubernetes transport allows) or each answer's Retry-After; 4 retries of a
# refused connection (nothing listens: a dead endpoint should be reported soon, as retry.py does it)
RETRY = dict(retry_total=6, retry_status=6, retry_connect=4, retry_backoff_factor=0.5, retry_backoff_max=20)
CONNECTION_TIMEOUT = 10
READ_TIMEOUT = 60
# seconds between two polls of a long-running operation when ARM's answer carries no Retry-After
POLL_INTERVAL = 5
DEFAULT_TIMEOUT = 600
FINAL_STATE = {"final-state-via": "azure-async-operation"}
SUBSCRIPTIONS_API_VERSION = "2022-12-01"
# ARM codes of a 404 that is not about the resource asked for: the caller's options are wrong
SCOPE_NOT_FOUND = {"ResourceGroupNotFound": "resource_group", "SubscriptionNotFound": "subscription_id"}
# ARM codes of a 400 that mean this api-version is not served for the resource type
API_VERSION_REFUSED = ("NoRegisteredProviderFound", "InvalidResourceType", "InvalidApiVersionParameter",
                       "InvalidApiVersionForResourceType")
PERMISSION_CODES = ("AuthorizationFailed", "LinkedAuthorizationFailed")


def pipeline_policies(credential, scope, renew_credential=None):
    """The request pipeline, in azure-core's order: the retry policy wraps the token policy, so that a retried
    request carries a valid token. `renew_credential` gives a fresh credential when Resource Manager refuses a
    token (arm_token_policy.py)."""
    return [
        RequestIdPolicy(),
        HeadersPolicy(),
        UserAgentPolicy(user_agent=USER_AGENT),
        ProxyPolicy(),
        ContentDecodePolicy(),
        RetryPolicy(**RETRY),
        RenewingTokenPolicy(credential, scope, renew_credential),
        ARMHttpLoggingPolicy(),  # logs only at DEBUG, and redacts headers other than its allow list
    ]


def _transport(verify):
    return RequestsTransport(connection_verify=verify, connection_timeout=CONNECTION_TIMEOUT,
                             read_timeout=READ_TIMEOUT)


def read_json(url, verify, transport=None):
    """The JSON document at `url` (a cloud's metadata endpoint), read without credentials."""
    client = PipelineClient(url, policies=[UserAgentPolicy(user_agent=USER_AGENT), RetryPolicy(**RETRY)],
                            transport=transport or _transport(verify))
    try:
        response = client.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        return response.json()
    except (AzureError, ValueError) as exc:
        raise InvalidInput("cloud_environment %r cannot be read: %s" % (url, exc), option="cloud_environment",
                           value=url)


def _json_body(pipeline_response):
    """The decoded body of an answer (LROPoller's deserialization callback), None when empty."""
    response = pipeline_response.http_response
    return response.json() if response.text() else None


class ArmClient(object):
    """Requests to one cloud's Resource Manager with one credential (azure_credentials.AzureCredentials).
    `site` labels messages unless a call gives its own; `transport` replaces azure-core's requests transport."""

    def __init__(self, credentials, site=None, transport=None, poll_interval=POLL_INTERVAL):
        self.credentials = credentials
        self.site = site or "Azure Resource Manager %s" % credentials.cloud.resource_manager
        self.poll_interval = poll_interval
        self._subscription_id = credentials.subscription_id
        self._server_date = None  # (Resource Manager's Date header, this machine's monotonic clock then)
        self._client = ARMPipelineClient(credentials.cloud.resource_manager,
                                         policies=pipeline_policies(credentials.credential, credentials.cloud.scope,
                                                                    credentials.renew),
                                         transport=transport or _transport(credentials.connection_verify))

    # -- reads ---------------------------------------------------------------------------------------
    def get(self, resource_id, api_version, site=None):
        """The resource, or None when it does not exist (a missing resource group or subscription is an error)."""
        try:
            return _json_body(self._send("GET", resource_id, api_version, site=site))
        except ApiFailure as failure:
            if failure.details.get("status") == 404 and failure.details.get("reason") not in SCOPE_NOT_FOUND:
                return None
            raise

    def list(self, collection_id, api_version, site=None):
        """Every resource of a collection, following ARM's nextLink pages."""
        page = _json_body(self._send("GET", collection_id, api_version, site=site)) or {}
        found = list(page.get("value") or [])
        while page.get("nextLink"):
            page = _json_body(self._send("GET", collection_id, None, site=site, url=page["nextLink"])) or {}
            found.extend(page.get("value") or [])
        return found

    @property
    def subscription_id(self):
        """The subscription the credentials name, else (a managed identity or the Azure CLI without one) the first
        the credential can see, as azure.azcollection picks it."""
        if self._subscription_id is None:
            subscriptions = self.list("/subscriptions", SUBSCRIPTIONS_API_VERSION)
            if not subscriptions:
                raise InvalidInput("%s can see no Azure subscription: set subscription_id (or AZURE_SUBSCRIPTION_ID), "
                                   "and grant it a role there" % self.credentials.source, option="subscription_id")
            self._subscription_id = subscriptions[0]["subscriptionId"]
        return self._subscription_id

    def server_now(self):
        """Resource Manager's clock: the Date header of its latest answer, plus the time passed here since (this
        machine's monotonic clock, which no one sets); None before any answer or when answers carry no Date.
        Judging lock expiry on it spares the machines that run failovers from having to agree on the time."""
        if self._server_date is None:
            return None
        date, seen = self._server_date
        return date + datetime.timedelta(seconds=time.monotonic() - seen)

    # -- tags: the one change ARM allows by PATCH ------------------------------------------------------
    def patch(self, resource_id, api_version, body, site=None):
        """PATCH the resource (for Microsoft.AzureArcData resources only `tags` may be sent, and ARM replaces the
        whole tags object with the one sent); returns the resource as ARM answered."""
        return _json_body(self._send("PATCH", resource_id, api_version, body, site))

    # -- long-running writes -------------------------------------------------------------------------
    def put(self, resource_id, api_version, body, timeout=DEFAULT_TIMEOUT, site=None):
        """PUT (create or replace) the resource and wait for the operation; returns the resource as it ended."""
        return self._long_running("PUT", resource_id, api_version, body, timeout, site)

    def delete(self, resource_id, api_version, timeout=DEFAULT_TIMEOUT, site=None):
        """DELETE the resource and wait for the operation (a resource that does not exist is no error)."""
        try:
            self._long_running("DELETE", resource_id, api_version, None, timeout, site)
        except ApiFailure as failure:
            if failure.details.get("status") != 404 or failure.details.get("reason") in SCOPE_NOT_FOUND:
                raise

    def _long_running(self, verb, resource_id, api_version, body, timeout, site):
        initial = self._send(verb, resource_id, api_version, body, site)
        try:
            poller = LROPoller(self._client, initial, _json_body,
                               ARMPolling(self.poll_interval, lro_options=FINAL_STATE))
            result = poller.result(timeout=timeout)
        except AzureError as exc:
            raise self.failure(verb, resource_id, exc, site)
        if not poller.done():
            # the poller's thread goes on polling until the module exits; the operation itself goes on in Azure
            raise WaitTimeout("%s: timed out after %s s waiting for %s %s to finish; Resource Manager last reported "
                              "it %s" % (site or self.site, timeout, verb, resource_id, poller.status()),
                              site=site or self.site, verb=verb, object=resource_id, seen=poller.status(),
                              elapsed=timeout)
        return result

    # -- one request ---------------------------------------------------------------------------------
    def _send(self, verb, resource_id, api_version, body=None, site=None, url=None):
        """The PipelineResponse of one request (retried by the pipeline); an answer of 400 or more is an ApiFailure."""
        params = {"api-version": api_version} if api_version else None
        request = HttpRequest(verb, url or self._client.format_url(resource_id), params=params, json=body)
        try:
            pipeline_response = self._client.send_request(request, _return_pipeline_response=True)
        except AzureError as exc:
            raise self.failure(verb, resource_id, exc, site)
        self._note_date(pipeline_response.http_response.headers.get("Date"))
        if pipeline_response.http_response.status_code >= 400:
            raise self.failure(verb, resource_id, HttpResponseError(response=pipeline_response.http_response,
                                                                    error_format=ARMErrorFormat), site)
        return pipeline_response

    def _note_date(self, header):
        try:
            date = parsedate_to_datetime(header) if header else None
        except (TypeError, ValueError):
            date = None
        if date is not None:
            self._server_date = (date.astimezone(datetime.timezone.utc), time.monotonic())

    def failure(self, verb, resource_id, exc, site=None):
        """The ApiFailure for an azure-core error: what was asked, what ARM answered and what to do about it."""
        site = site or self.site
        if isinstance(exc, ClientAuthenticationError) and getattr(exc, "response", None) is None:
            return self._hidden(ApiFailure("%s: %s %s failed: no token for %s: %s" % (
                site, verb, resource_id, self.credentials.source, exc.message),
                site=site, verb=verb, object=resource_id, status=None, reason="CredentialFailed"))
        if not isinstance(exc, HttpResponseError) or exc.response is None:
            return self._hidden(ApiFailure("%s: %s %s failed: Resource Manager is unreachable (%s)" % (
                site, verb, resource_id, exc.message), site=site, verb=verb, object=resource_id, status=None,
                reason="Unreachable"))
        status, code, message = _arm_error(exc)
        return self._hidden(ApiFailure("%s: %s %s failed: HTTP %s %s: %s" % (
            site, verb, resource_id, status, code, self._explain(status, code, message)),
            site=site, verb=verb, object=resource_id, status=status, reason=code, arm_message=message))

    def _explain(self, status, code, message):
        if status == 403 and code in PERMISSION_CODES:
            return lacks_azure_permission(message)
        if status == 401:
            return "Resource Manager refused the token of %s: %s" % (self.credentials.source, message)
        if code in SCOPE_NOT_FOUND:
            return "%s; check %s" % (message, SCOPE_NOT_FOUND[code])
        if code in API_VERSION_REFUSED:
            return "%s; set arm_api_version to one the message lists" % message
        return message

    def _hidden(self, failure):
        """The failure with every secret of the credentials replaced (an identity library's message may quote
        what it was given)."""
        for secret in self.credentials.secrets:
            failure.message = failure.message.replace(secret, "********")
            failure.args = (failure.message,)
            for key, value in failure.details.items():
                if isinstance(value, str):
                    failure.details[key] = value.replace(secret, "********")
        return failure


def _arm_error(exc):
    """(HTTP status, ARM error code, ARM error message) of an HttpResponseError, whatever error format it was raised
    with (a long-running operation's failure carries the operation's status body)."""
    response = exc.response
    parsed = HttpResponseError(response=response, error_format=ARMErrorFormat)
    error = parsed.error
    code = getattr(error, "code", None) or response.reason
    message = getattr(error, "message", None) or parsed.message
    if _operation_status(response) in ("Failed", "Canceled"):
        message = "the operation ended %s: %s" % (_operation_status(response), message)
    return response.status_code, code, message


def _operation_status(response):
    """The `status` of an Azure-AsyncOperation body, or the resource's provisioningState, or None."""
    try:
        body = response.json() or {}
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return body.get("status") or (body.get("properties") or {}).get("provisioningState")
