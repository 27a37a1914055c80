# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which transport a transition uses for a site: indirect without asking the site when nothing else could work,
the data controller's word when Azure options make direct mode possible, the option when it is set."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import failover_site


class KubeSite(object):
    label = "site primary"

    def __init__(self, mode):
        self.mode, self.asked = mode, 0

    def data_controller(self):
        self.asked += 1
        return {"metadata": {"name": "arc-dc", "namespace": "arc"},
                "spec": {"settings": {"azure": {"connectionMode": self.mode}}}}


@pytest.fixture(autouse=True)
def no_azure_environment(monkeypatch):
    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def test_without_azure_options_the_site_is_not_asked():
    site = KubeSite("direct")
    assert failover_site._mode({"name": "primary", "kubeconfig": "/k"}, site).mode == "indirect"
    assert site.asked == 0


def test_with_azure_options_the_data_controller_decides():
    site = KubeSite("direct")
    options = {"name": "primary", "kubeconfig": "/k", "resource_group": "rg"}
    assert failover_site._mode(options, site).mode == "direct" and site.asked == 1


def test_the_option_decides_without_asking():
    site = KubeSite("direct")
    assert failover_site._mode({"name": "primary", "connection_mode": "indirect"}, site).mode == "indirect"
    assert site.asked == 0


def test_a_direct_site_without_a_kubeconfig_has_no_kubernetes_site():
    def connect(options):
        raise AssertionError("connected to a Kubernetes API that was not given")
    assert failover_site.kubernetes_site({"name": "primary", "connection_mode": "direct"}, connect) is None
