# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport choice: the option, else the site's data controller, else the Azure options, else indirect."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.transport import choose_mode

NO_ENVIRONMENT = {"KUBECONFIG": "/nonexistent/kubeconfig"}


def controller(mode):
    settings = {"azure": {"connectionMode": mode}} if mode else {}
    return {"metadata": {"name": "arc-dc", "namespace": "arc"}, "spec": {"settings": settings}}


def reader(found):
    calls = []

    def read():
        calls.append(1)
        if isinstance(found, Exception):
            raise found
        return found, "context arc-primary (https://site)"
    read.calls = calls
    return read


@pytest.mark.parametrize("option", ["direct", "indirect"])
def test_the_option_decides_without_asking_the_site(option):
    read = reader(controller("direct" if option == "indirect" else "indirect"))
    choice = choose_mode({"connection_mode": option, "kubeconfig": "/some/kubeconfig"}, read, NO_ENVIRONMENT)
    assert choice.mode == option
    assert read.calls == []


@pytest.mark.parametrize("mode,expected", [("direct", "direct"), ("Direct", "direct"), ("indirect", "indirect"),
                                           (None, "indirect")])
def test_unset_the_data_controller_decides(mode, expected):
    choice = choose_mode({"kubeconfig": "/some/kubeconfig", "resource_group": "rg"}, reader(controller(mode)),
                         NO_ENVIRONMENT)
    assert choice.mode == expected
    assert "data controller 'arc-dc' in namespace 'arc' is in %s connection mode" % expected in choice.reason


@pytest.mark.parametrize("failure", [InvalidInput("namespace is not set"), ApiFailure("HTTP 403", status=403)])
def test_an_unreadable_site_leaves_it_to_the_azure_options(failure):
    assert choose_mode({"kubeconfig": "/k", "resource_group": "rg"}, reader(failure), NO_ENVIRONMENT).mode == "direct"
    assert choose_mode({"kubeconfig": "/k"}, reader(failure), NO_ENVIRONMENT).mode == "indirect"


def test_a_namespace_without_a_data_controller_leaves_it_to_the_azure_options():
    assert choose_mode({"kubeconfig": "/k", "custom_location": "cl"}, reader(None), NO_ENVIRONMENT).mode == "direct"


def test_without_kubernetes_the_site_is_not_asked():
    read = reader(controller("indirect"))
    assert choose_mode({"subscription_id": "s"}, read, NO_ENVIRONMENT).mode == "direct"
    assert read.calls == []


@pytest.mark.parametrize("variable", ["AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_PROFILE"])
def test_azure_environment_means_direct(variable):
    assert choose_mode({}, reader(None), dict(NO_ENVIRONMENT, **{variable: "x"})).mode == "direct"


def test_nothing_given_is_indirect_as_before():
    assert choose_mode({}, reader(None), NO_ENVIRONMENT).mode == "indirect"


def test_the_default_kubeconfig_counts_as_a_site(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\n")
    choice = choose_mode({"resource_group": "rg"}, reader(controller("indirect")), {"KUBECONFIG": str(kubeconfig)})
    assert choice.mode == "indirect"
