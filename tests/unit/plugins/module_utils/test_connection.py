# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest
import yaml
from kubernetes import client

from ansible_collections.arcdata.sqlmi.plugins.module_utils import connection
from ansible_collections.arcdata.sqlmi.plugins.module_utils.connection import SiteConnectionError

# fake credentials: nothing here opens a connection
TOKEN_A = "fake-token-site-a-0123456789"
TOKEN_B = "fake-token-site-b-9876543210"
KEY_DATA = "ZmFrZS1jbGllbnQta2V5LWRhdGE="
CERT_DATA = "ZmFrZS1jbGllbnQtY2VydGlmaWNhdGUtZGF0YQ=="
REFRESH = "fake-refresh-token"

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "site-a",
    "clusters": [
        {"name": "site-a", "cluster": {"server": "https://127.0.0.1:16443", "insecure-skip-tls-verify": True}},
        {"name": "site-b", "cluster": {"server": "https://127.0.0.1:26443", "insecure-skip-tls-verify": True}},
    ],
    "users": [
        {"name": "admin-a", "user": {"token": TOKEN_A}},
        {"name": "admin-b", "user": {"token": TOKEN_B, "client-key-data": KEY_DATA,
                                     "client-certificate-data": CERT_DATA}},
        {"name": "oidc", "user": {"auth-provider": {"name": "oidc", "config": {
            "client-id": "kubectl", "refresh-token": REFRESH, "idp-issuer-url": "https://idp.invalid"}}}},
        {"name": "nothing", "user": {"token": ""}},
    ],
    "contexts": [
        {"name": "site-a", "context": {"cluster": "site-a", "user": "admin-a", "namespace": "arc"}},
        {"name": "site-b", "context": {"cluster": "site-b", "user": "admin-a", "namespace": "arc-dr"}},
        {"name": "no-namespace", "context": {"cluster": "site-a", "user": "admin-a"}},
    ],
}


@pytest.fixture
def no_default_kubeconfig(monkeypatch, tmp_path):
    """HOME and KUBECONFIG point into an empty directory: there is no ~/.kube/config to fall back to."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path


@pytest.fixture
def kubeconfig_file(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    return str(path)


# -- secret_values ------------------------------------------------------------------------------

def test_secret_values_finds_nested_secrets():
    found = connection.secret_values(KUBECONFIG)
    assert sorted(found) == sorted([TOKEN_A, TOKEN_B, KEY_DATA, CERT_DATA, REFRESH])


def test_secret_values_leaves_out_what_is_not_secret():
    found = connection.secret_values(KUBECONFIG)
    for public in ("https://127.0.0.1:16443", "site-a", "admin-a", "kubectl", "oidc", "arc", ""):
        assert public not in found


def test_secret_values_of_other_shapes():
    assert connection.secret_values({}) == []
    assert connection.secret_values(None) == []
    assert connection.secret_values([{"user": {"password": "fake-password"}}]) == ["fake-password"]
    assert connection.secret_values({"users": [{"user": {"exec": {"env": [{"name": "x", "value": "y"}]}}}]}) == []


# -- default_namespace --------------------------------------------------------------------------

def test_default_namespace_option_wins():
    assert connection.default_namespace({"namespace": "other", "kubeconfig": KUBECONFIG}) == "other"


def test_default_namespace_from_a_dict_kubeconfigs_current_context():
    assert connection.default_namespace({"kubeconfig": KUBECONFIG}) == "arc"


def test_default_namespace_from_a_dict_kubeconfigs_chosen_context():
    assert connection.default_namespace({"kubeconfig": KUBECONFIG, "context": "site-b"}) == "arc-dr"


def test_default_namespace_none_when_the_context_has_none():
    assert connection.default_namespace({"kubeconfig": KUBECONFIG, "context": "no-namespace"}) is None
    assert connection.default_namespace({"kubeconfig": KUBECONFIG, "context": "missing"}) is None


def test_default_namespace_from_a_kubeconfig_file(kubeconfig_file):
    assert connection.default_namespace({"kubeconfig": kubeconfig_file}) == "arc"
    assert connection.default_namespace({"kubeconfig": kubeconfig_file, "context": "site-b"}) == "arc-dr"


def test_default_namespace_without_any_kubeconfig(no_default_kubeconfig):
    assert connection.default_namespace({"host": "https://127.0.0.1:16443"}) is None


# -- build_configuration ------------------------------------------------------------------------

def test_build_configuration_from_a_dict_kubeconfig():
    configuration, site = connection.build_configuration({"kubeconfig": copy.deepcopy(KUBECONFIG)})
    assert configuration.host == "https://127.0.0.1:16443"
    assert site == "context site-a (https://127.0.0.1:16443)"
    assert TOKEN_A in str(configuration.api_key)


def test_build_configuration_with_a_context():
    configuration, site = connection.build_configuration({"kubeconfig": copy.deepcopy(KUBECONFIG),
                                                          "context": "site-b"})
    assert configuration.host == "https://127.0.0.1:26443"
    assert site == "context site-b (https://127.0.0.1:26443)"


def test_build_configuration_from_a_kubeconfig_file(kubeconfig_file):
    configuration, site = connection.build_configuration({"kubeconfig": kubeconfig_file, "context": "site-b"})
    assert configuration.host == "https://127.0.0.1:26443"
    assert site == "context site-b (https://127.0.0.1:26443)"
    configuration, site = connection.build_configuration({"kubeconfig": kubeconfig_file})
    assert site == "context site-a (https://127.0.0.1:16443)"


def test_build_configuration_from_the_kubeconfig_variable(monkeypatch, kubeconfig_file, no_default_kubeconfig):
    monkeypatch.setenv("KUBECONFIG", kubeconfig_file)
    configuration, site = connection.build_configuration({})
    assert configuration.host == "https://127.0.0.1:16443"
    assert site == "context site-a (https://127.0.0.1:16443)"


def test_build_configuration_options_override_the_kubeconfig(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("not read here")
    configuration, site = connection.build_configuration({
        "kubeconfig": copy.deepcopy(KUBECONFIG), "host": "https://10.0.0.1:6443", "api_key": "fake-override",
        "validate_certs": True, "ca_cert": str(ca)})
    assert configuration.host == "https://10.0.0.1:6443"
    assert configuration.api_key == {"authorization": "Bearer fake-override"}
    assert configuration.verify_ssl is True
    assert configuration.ssl_ca_cert == str(ca)
    assert site == "context site-a (https://10.0.0.1:6443)"


def test_build_configuration_from_host_alone(no_default_kubeconfig):
    configuration, site = connection.build_configuration({"host": "https://127.0.0.1:16443",
                                                          "api_key": "fake-token", "validate_certs": False})
    assert configuration.host == "https://127.0.0.1:16443"
    assert configuration.verify_ssl is False
    assert configuration.api_key == {"authorization": "Bearer fake-token"}
    assert site == "https://127.0.0.1:16443"


def test_build_configuration_never_touches_the_default_configuration():
    before = client.Configuration.get_default_copy().host
    connection.build_configuration({"kubeconfig": copy.deepcopy(KUBECONFIG), "context": "site-b"})
    assert client.Configuration.get_default_copy().host == before


def test_build_configuration_refuses_a_missing_kubeconfig_path(tmp_path):
    missing = str(tmp_path / "nowhere" / "config")
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": missing})
    assert str(raised.value) == "kubeconfig %r does not exist or is not a file" % missing


def test_build_configuration_refuses_a_directory_as_kubeconfig(tmp_path):
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": str(tmp_path)})
    assert str(tmp_path) in str(raised.value)


def test_build_configuration_refuses_to_connect_to_nothing(no_default_kubeconfig):
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({})
    message = str(raised.value)
    assert message.startswith("no site to connect to: set kubeconfig (or K8S_AUTH_KUBECONFIG), or host")
    assert "in-cluster configuration is never used implicitly" in message


def test_build_configuration_ignores_in_cluster_environment(monkeypatch, no_default_kubeconfig):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(SiteConnectionError):
        connection.build_configuration({})


def test_build_configuration_refuses_a_missing_kubeconfig_variable_file(monkeypatch, no_default_kubeconfig):
    monkeypatch.setenv("KUBECONFIG", str(no_default_kubeconfig / "absent"))
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({})
    assert str(raised.value).startswith("no site to connect to")


def test_build_configuration_unknown_context_names_it():
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": copy.deepcopy(KUBECONFIG), "context": "site-z"})
    assert str(raised.value).startswith("kubeconfig context 'site-z': ")
    assert "site-z" in str(raised.value)[len("kubeconfig context 'site-z': "):]


def test_build_configuration_error_does_not_echo_secrets():
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": copy.deepcopy(KUBECONFIG), "context": "site-z"})
    for secret in connection.secret_values(KUBECONFIG):
        assert secret not in str(raised.value)


def test_api_client_has_the_collection_user_agent():
    api, site = connection.api_client({"kubeconfig": copy.deepcopy(KUBECONFIG)})
    try:
        assert api.user_agent == connection.USER_AGENT
        assert api.configuration.host == "https://127.0.0.1:16443"
        assert site.startswith("context site-a")
    finally:
        api.close()


def test_connection_args_fall_back_to_k8s_auth_variables():
    for option, variable in (("kubeconfig", "K8S_AUTH_KUBECONFIG"), ("context", "K8S_AUTH_CONTEXT"),
                             ("host", "K8S_AUTH_HOST"), ("api_key", "K8S_AUTH_API_KEY")):
        assert connection.CONNECTION_ARGS[option]["fallback"][1] == [variable]
    assert connection.CONNECTION_ARGS["api_key"]["no_log"] is True
