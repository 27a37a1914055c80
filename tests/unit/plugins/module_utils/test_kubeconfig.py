# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A broken kubeconfig is refused before any request, saying what is wrong with it and never quoting a credential."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest
import yaml

from ansible_collections.arcdata.sqlmi.plugins.module_utils import connection, kubeconfig
from ansible_collections.arcdata.sqlmi.plugins.module_utils.connection import SiteConnectionError

TOKEN = "fake-token-0123456789abcdef"
GOOD = {
    "apiVersion": "v1", "kind": "Config", "current-context": "site-a",
    "clusters": [{"name": "site-a", "cluster": {"server": "https://127.0.0.1:16443"}}],
    "users": [{"name": "admin-a", "user": {"token": TOKEN}}],
    "contexts": [{"name": "site-a", "context": {"cluster": "site-a", "user": "admin-a", "namespace": "arc"}}],
}


def _without(path):
    """GOOD with the entry at `path` (keys, then the last key removed) taken out."""
    document = copy.deepcopy(GOOD)
    holder = document
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return document


def _problem(document, context=None, **given):
    return kubeconfig.problem(document, context, "kubeconfig 'k'", **given)


def test_a_good_kubeconfig_has_no_problem():
    assert _problem(GOOD) is None
    assert _problem(GOOD, "site-a") is None


@pytest.mark.parametrize("document, found", [
    ("just a string", "is not a kubeconfig (found str)"),
    (None, "is not a kubeconfig (found NoneType)"),
    (["a", "list"], "is not a kubeconfig (found list)"),
    ({"apiVersion": "v1"}, "is not a kubeconfig (found dict)"),
])
def test_what_is_not_a_kubeconfig_is_named(document, found):
    message = _problem(document)
    assert found in message and "expected a kubeconfig" in message and "clusters, contexts and users" in message


def test_a_kubeconfig_without_clusters_names_the_missing_cluster():
    message = _problem(_without(("clusters",)))
    assert message == "kubeconfig 'k': context 'site-a' names cluster 'site-a', which is not among its clusters (none)"


def test_a_cluster_without_a_server_is_named():
    message = _problem(_without(("clusters", 0, "cluster", "server")))
    assert "cluster 'site-a' of context 'site-a' has no server URL" in message


def test_a_user_without_credentials_is_named_without_any_secret():
    document = copy.deepcopy(GOOD)
    document["users"][0]["user"] = {"token": ""}
    message = _problem(document)
    assert "user 'admin-a' of context 'site-a' has no credentials" in message
    assert "token, tokenFile, client-certificate" in message and "(or set api_key)" in message


@pytest.mark.parametrize("credentials", [{"client-certificate-data": "Zm9v", "client-key-data": "YmFy"},
                                         {"exec": {"command": "kubelogin"}}, {"tokenFile": "/var/run/token"},
                                         {"auth-provider": {"name": "oidc"}}, {"username": "u", "password": "p"}])
def test_every_kind_of_credentials_counts(credentials):
    document = copy.deepcopy(GOOD)
    document["users"][0]["user"] = credentials
    assert _problem(document) is None


def test_options_stand_in_for_what_the_kubeconfig_lacks():
    document = copy.deepcopy(GOOD)
    document["users"] = []
    assert "which is not among its users (none)" in _problem(document)
    assert _problem(document, credentials_given=True) is None
    assert _problem(_without(("clusters",)), host_given=True) is None


def test_an_unknown_context_lists_the_contexts_there_are():
    message = _problem(GOOD, "site-z")
    assert message == "kubeconfig context 'site-z': there is no context 'site-z' in kubeconfig 'k'; its contexts " \
                      "are 'site-a'"


def test_no_current_context_and_none_given():
    message = _problem(_without(("current-context",)))
    assert "has no current-context and no context was given: set context to one of its contexts ('site-a')" in message


def test_a_file_that_is_not_yaml_is_refused_without_quoting_it(tmp_path):
    path = tmp_path / "config"
    path.write_text("token: %s: [unclosed\n" % TOKEN)
    with pytest.raises(kubeconfig.KubeconfigError) as raised:
        kubeconfig.load_file(str(path))
    message = str(raised.value)
    assert message.startswith("kubeconfig %r is not YAML (line 1, column " % str(path))
    assert "expected a kubeconfig" in message
    assert TOKEN not in message


def test_build_configuration_refuses_a_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "config"
    path.write_text("::: not: yaml: [\n")
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": str(path)})
    assert "is not YAML" in str(raised.value)


def test_build_configuration_refuses_a_file_without_clusters(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(_without(("clusters",))))
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": str(path)})
    assert str(raised.value) == "kubeconfig %r: context 'site-a' names cluster 'site-a', which is not among its " \
                                "clusters (none)" % str(path)


def test_build_configuration_refuses_a_dict_whose_user_has_no_token():
    document = copy.deepcopy(GOOD)
    del document["users"][0]["user"]["token"]
    with pytest.raises(SiteConnectionError) as raised:
        connection.build_configuration({"kubeconfig": document})
    assert str(raised.value).startswith("the kubeconfig given as a dict: user 'admin-a' of context 'site-a' has no "
                                        "credentials")


def test_build_configuration_takes_a_dict_without_token_when_api_key_is_given():
    document = copy.deepcopy(GOOD)
    del document["users"][0]["user"]["token"]
    configuration, dummy = connection.build_configuration({"kubeconfig": document, "api_key": "fake-key"})
    assert configuration.api_key == {"authorization": "Bearer fake-key"}
