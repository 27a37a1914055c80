# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the Azure credentials come from: azure.azcollection's options, environment variables and order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import subprocess

import pytest
import requests
import urllib3

from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_credentials import azure_credentials, secret_values
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput

SECRET = "opt-s3cr3t~value"
ENV_SECRET = "env-s3cr3t~value"
PROFILE_SECRET = "file-s3cr3t~value"
SERVICE_PRINCIPAL_ENV = {"AZURE_CLIENT_ID": "env-app", "AZURE_SECRET": ENV_SECRET, "AZURE_TENANT": "env-tenant",
                         "AZURE_SUBSCRIPTION_ID": "env-sub"}
OPTIONS = {"client_id": "opt-app", "secret": SECRET, "tenant": "opt-tenant", "subscription_id": "opt-sub"}
METADATA_URL = "https://management.sandbox.test/metadata/endpoints?api-version=2022-09-01"
SANDBOX_CLOUD = [{"name": "ArcSandbox", "resourceManager": "https://management.sandbox.test/",
                  "authentication": {"loginEndpoint": "https://login.sandbox.test/",
                                     "audiences": ["https://management.sandbox.test/"]}}]


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\nsubscription_id = file-sub\nclient_id = file-app\nsecret = %s\ntenant = file-tenant\n"
                    "\n[china]\nsubscription_id = china-sub\nclient_id = china-app\nsecret = %s\ntenant = t\n"
                    "cloud_environment = AzureChinaCloud\n\n[nosecret]\nsubscription_id = s\nclient_id = a\n"
                    "tenant = t\n" % (PROFILE_SECRET, PROFILE_SECRET))
    return str(path)


def az_not_logged_in(arguments):
    raise subprocess.CalledProcessError(1, ["az"] + arguments, b"", b"ERROR: Please run 'az login' to setup account.")


def az_logged_in(arguments):
    assert arguments == ["account", "show", "--output", "json"]
    return json.dumps({"id": "cli-sub", "tenantId": "cli-tenant", "user": {"name": "someone"}}).encode()


def resolve(params=None, environ=None, credentials_file="/nonexistent/credentials", run_az=az_not_logged_in,
            read_metadata=None):
    return azure_credentials(params or {}, environ or {}, credentials_file=credentials_file, run_az=run_az,
                             read_metadata=read_metadata)


def kind(credentials):
    return type(credentials.credential).__name__


# -- auth_source=auto: options > profile option > environment > [default] > az login ----------------------------
def test_options_win_over_the_environment_and_the_default_profile(credentials_file):
    found = resolve(OPTIONS, SERVICE_PRINCIPAL_ENV, credentials_file)
    assert kind(found) == "ClientSecretCredential"
    assert found.source == "service principal opt-app (from the module options)"
    assert (found.subscription_id, found.secrets) == ("opt-sub", [SECRET])


def test_the_profile_option_wins_over_client_id_options_and_the_environment(credentials_file):
    found = resolve(dict(OPTIONS, profile="china", subscription_id=None), SERVICE_PRINCIPAL_ENV, credentials_file)
    assert found.source == "service principal china-app (from profile 'china' in %s)" % credentials_file
    assert found.subscription_id == "china-sub"
    assert found.cloud.name == "AzureChinaCloud"  # the profile's cloud_environment


def test_the_environment_wins_over_the_default_profile(credentials_file):
    found = resolve({}, SERVICE_PRINCIPAL_ENV, credentials_file)
    assert found.source == "service principal env-app (from the environment)"
    assert (found.subscription_id, found.secrets) == ("env-sub", [ENV_SECRET])


def test_azure_profile_names_a_section_of_the_credentials_file(credentials_file):
    found = resolve({}, dict(SERVICE_PRINCIPAL_ENV, AZURE_PROFILE="china"), credentials_file)
    assert found.subscription_id == "china-sub"


def test_the_default_profile_wins_over_the_azure_cli(credentials_file):
    found = resolve({}, {}, credentials_file, run_az=az_logged_in)
    assert found.source.startswith("service principal file-app (from profile 'default'")
    assert found.secrets == [PROFILE_SECRET]


def test_the_azure_cli_login_comes_last_with_its_default_subscription():
    found = resolve({}, {}, run_az=az_logged_in)
    assert kind(found) == "AzureCliCredential"
    assert (found.source, found.subscription_id, found.secrets) == ("the Azure CLI login (az login)", "cli-sub", [])


def test_the_subscription_option_wins_over_the_source(credentials_file):
    assert resolve({"subscription_id": "mine"}, SERVICE_PRINCIPAL_ENV, credentials_file).subscription_id == "mine"


def test_nothing_found_names_every_way_to_give_credentials():
    with pytest.raises(InvalidInput) as caught:
        resolve({}, {"AZURE_SECRET": ENV_SECRET})  # a secret alone, without AZURE_SUBSCRIPTION_ID, is no source
    message = caught.value.message
    for name in ("client_id", "secret", "tenant", "subscription_id", "AZURE_CLIENT_ID", "AZURE_SECRET",
                 "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID", "AZURE_PROFILE", "auth_source=msi", "az login"):
        assert name in message
    assert ENV_SECRET not in message


def test_an_incomplete_service_principal_in_the_environment_names_the_missing_variables():
    environ = {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_CLIENT_ID": "a"}
    with pytest.raises(InvalidInput) as caught:
        resolve({}, environ)
    assert "the environment gives an incomplete service principal: AZURE_SECRET, AZURE_TENANT missing" in \
        caught.value.message


def test_an_incomplete_service_principal_in_the_options_names_the_missing_options():
    with pytest.raises(InvalidInput) as caught:
        resolve({"client_id": "a", "secret": SECRET, "subscription_id": "s"})
    assert "tenant missing" in caught.value.message and SECRET not in caught.value.message
    assert caught.value.details["option"] == "tenant"


def test_options_without_a_subscription_name_the_option():
    with pytest.raises(InvalidInput) as caught:
        resolve(dict(OPTIONS, subscription_id=None))
    assert caught.value.details["option"] == "subscription_id" and "AZURE_SUBSCRIPTION_ID" in caught.value.message


def test_a_profile_without_a_secret_names_what_to_add(credentials_file):
    with pytest.raises(InvalidInput, match="secret missing.*add secret to the section"):
        resolve({"profile": "nosecret"}, {}, credentials_file)


def test_an_unknown_profile_names_the_file(credentials_file):
    with pytest.raises(InvalidInput, match=r"profile 'prod'.* has no \[prod\] section"):
        resolve({"profile": "prod"}, {}, credentials_file)


# -- the other auth_source values: that source only ------------------------------------------------------------
def test_auth_source_env_ignores_the_options():
    found = resolve(dict(OPTIONS, auth_source="env", subscription_id=None), SERVICE_PRINCIPAL_ENV)
    assert found.source == "service principal env-app (from the environment)"


def test_auth_source_env_with_an_empty_environment_names_the_variables():
    with pytest.raises(InvalidInput, match="AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT and AZURE_SUBSCRIPTION_ID"):
        resolve({"auth_source": "env"}, {})


def test_auth_source_credential_file_reads_the_default_section(credentials_file):
    found = resolve({"auth_source": "credential_file"}, SERVICE_PRINCIPAL_ENV, credentials_file)
    assert found.subscription_id == "file-sub"


def test_auth_source_msi_uses_a_managed_identity(credentials_file):
    found = resolve({"auth_source": "msi", "client_id": "uami-app"}, {"AZURE_SUBSCRIPTION_ID": "env-sub"},
                    credentials_file)
    assert kind(found) == "ManagedIdentityCredential"
    assert (found.source, found.subscription_id) == ("managed identity with client ID uami-app", "env-sub")


def test_auth_source_msi_without_a_subscription_leaves_it_to_the_client():
    found = resolve({"auth_source": "msi"})
    assert (found.source, found.subscription_id) == ("managed identity (system-assigned)", None)


def test_auth_source_cli_without_a_login_says_to_run_az_login():
    with pytest.raises(InvalidInput) as caught:
        resolve({"auth_source": "cli"})
    assert "Please run 'az login'" in caught.value.message and "run az login" in caught.value.message


def test_auth_source_cli_with_a_subscription_does_not_ask_the_cli():
    found = resolve({"auth_source": "cli", "subscription_id": "given"}, run_az=az_not_logged_in)
    assert (kind(found), found.subscription_id) == ("AzureCliCredential", "given")


# -- cloud and TLS ------------------------------------------------------------------------------------------------
def test_azure_cloud_environment_applies_and_the_option_wins():
    environ = dict(SERVICE_PRINCIPAL_ENV, AZURE_CLOUD_ENVIRONMENT="AzureUSGovernment")
    assert resolve({}, environ).cloud.name == "AzureUSGovernment"
    assert resolve({"cloud_environment": "AzureChinaCloud"}, environ).cloud.name == "AzureChinaCloud"


def test_ca_bundle_option_wins_over_requests_ca_bundle(tmp_path):
    option, variable = tmp_path / "option.pem", tmp_path / "env.pem"
    option.write_text("x")
    variable.write_text("y")
    environ = dict(SERVICE_PRINCIPAL_ENV, REQUESTS_CA_BUNDLE=str(variable))
    assert resolve({}, environ).connection_verify == str(variable)
    assert resolve({"ca_bundle": str(option)}, environ).connection_verify == str(option)
    assert resolve({}, SERVICE_PRINCIPAL_ENV).connection_verify is True


def test_a_missing_ca_bundle_is_refused():
    with pytest.raises(InvalidInput) as caught:
        resolve({"ca_bundle": "/nonexistent/ca.pem"}, SERVICE_PRINCIPAL_ENV)
    assert caught.value.details["option"] == "ca_bundle"


def test_secret_values_cover_the_option_and_the_environment():
    assert secret_values({"secret": SECRET}, {"AZURE_SECRET": ENV_SECRET}) == [SECRET, ENV_SECRET]


class FakeEntra(requests.adapters.BaseAdapter):
    """Microsoft Entra at the sandbox's login host: OpenID discovery and the token endpoint; records requests and
    the TLS verification each was sent with."""

    def __init__(self):
        super(FakeEntra, self).__init__()
        self.seen = []

    def send(self, request, **kwargs):
        self.seen.append((request.method, request.url, kwargs.get("verify"), request.body))
        if request.url.endswith("/oauth2/v2.0/token"):
            body = {"token_type": "Bearer", "expires_in": 3600, "access_token": "entra-token"}
        else:
            base = "https://login.sandbox.test/tenant-1"
            body = {"token_endpoint": base + "/oauth2/v2.0/token", "issuer": base + "/v2.0",
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize"}
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = "application/json"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(json.dumps(body).encode()), status=200,
                                            headers=dict(response.headers), preload_content=False)
        return response

    def close(self):
        pass


def test_a_service_principal_gets_its_token_from_the_metadata_authority_with_the_ca_bundle(tmp_path, monkeypatch):
    bundle = tmp_path / "sandbox-ca.pem"
    bundle.write_text("x")
    entra = FakeEntra()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", entra.send)
    params = dict(OPTIONS, tenant="tenant-1", cloud_environment=METADATA_URL, ca_bundle=str(bundle))
    found = resolve(params, read_metadata={METADATA_URL: SANDBOX_CLOUD}.get)
    token = found.credential.get_token(found.cloud.scope)
    assert token.token == "entra-token"
    assert [url.split("?")[0] for unused, url, unused2, unused3 in entra.seen] == [
        "https://login.sandbox.test/tenant-1/v2.0/.well-known/openid-configuration",
        "https://login.sandbox.test/tenant-1/oauth2/v2.0/token"]  # no instance discovery at Microsoft's host
    assert all(verify == str(bundle) for unused, unused2, verify, unused3 in entra.seen)
    assert "https%3A%2F%2Fmanagement.sandbox.test%2F.default" in entra.seen[-1][3]
