# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles for the Azure Resource Manager client: a fake ARM behind azure-core's own requests transport,
and a credential that hands out a fixed token (or fails as azure-identity does).

The fake answers at the requests adapter, below azure-core's RequestsTransport, so the requests go through the
same pipeline, retry policy, bearer-token policy and LRO polling as in a module run. The transport records the
pauses azure-core asks for instead of sleeping.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import time

import pytest
import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_client import ArmClient
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_cloud import PUBLIC_CLOUDS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_credentials import AzureCredentials

ARM = "https://management.azure.com"
SECRET = "s3cr3t-Value~of.the_service-principal"
TOKEN = "fake-arm-token"


class Answer(object):
    def __init__(self, status=200, body=None, headers=None, error=None):
        self.status, self.body, self.headers, self.error = status, body, headers or {}, error


class FakeArm(BaseAdapter):
    """Answers each (method, path) with the answers queued for it, in order; the last one repeats. A path with
    nothing queued gets ARM's 404 ResourceNotFound. Every request is recorded."""

    def __init__(self):
        super(FakeArm, self).__init__()
        self.routes = {}
        self.requests = []

    def answer(self, method, path, status=200, body=None, headers=None, error=None):
        self.routes.setdefault((method, path), []).append(Answer(status, body, headers, error))
        return self

    def arm_error(self, method, path, status, code, message, headers=None):
        return self.answer(method, path, status, {"error": {"code": code, "message": message}}, headers)

    def sent(self, method=None):
        return [(r.method, requests.utils.urlparse(r.url).path) for r in self.requests
                if method is None or r.method == method]

    def send(self, request, **kwargs):
        self.requests.append(request)
        key = (request.method, requests.utils.urlparse(request.url).path)
        queue = self.routes.get(key) or [Answer(404, {"error": {"code": "ResourceNotFound", "message": "not found"}})]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer.error is not None:
            raise answer.error
        response = requests.Response()
        response.status_code = answer.status
        response.reason = requests.status_codes._codes.get(answer.status, ("",))[0].upper()
        response.headers = CaseInsensitiveDict(answer.headers)
        if answer.body is not None:
            response.headers.setdefault("Content-Type", "application/json")
        content = json.dumps(answer.body).encode() if answer.body is not None else b""
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), headers=dict(response.headers),
                                            status=answer.status, preload_content=False)
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


class RecordingTransport(RequestsTransport):
    """azure-core's requests transport over the fake ARM; records the pauses asked for (and pauses `pause` seconds
    for each, so that a long-running operation that never ends keeps its poller's thread from spinning)."""

    def __init__(self, fake, pause=0.0):
        session = requests.Session()
        session.mount("https://", fake)
        super(RecordingTransport, self).__init__(session=session, session_owner=False)
        self.pauses = []
        self.pause = pause

    def sleep(self, duration):
        self.pauses.append(duration)
        if self.pause:
            time.sleep(self.pause)


class FakeCredential(object):
    """An azure-identity credential's get_token: a fixed token, or the error it was given."""

    def __init__(self, error=None, token=TOKEN):
        self.error = error
        self.token = token
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        if self.error is not None:
            raise self.error
        return AccessToken(self.token, int(time.time()) + 3600)


class ArmBench(object):
    """A fake ARM, the transport over it, and ArmClients built on them."""

    def __init__(self):
        self.fake = FakeArm()
        self.transport = RecordingTransport(self.fake)
        self.credential = FakeCredential()
        self.secret = SECRET

    @staticmethod
    def failing_credential(error):
        return FakeCredential(error)

    @staticmethod
    def credential_with(token):
        return FakeCredential(token=token)

    def client(self, credential=None, subscription_id="sub-1", site="site dr (Azure)", poll_interval=1, renew=None):
        credentials = AzureCredentials(credential or self.credential, subscription_id, PUBLIC_CLOUDS["AzureCloud"],
                                       "service principal app-1 (from the environment)", True, [SECRET], renew)
        return ArmClient(credentials, site=site, transport=self.transport, poll_interval=poll_interval)


@pytest.fixture
def arm():
    return ArmBench()
