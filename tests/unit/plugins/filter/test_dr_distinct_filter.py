# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr_site_problems: the `distinct` check (the two sites of a pair are two places), from arc_site_info's
`placement` of each site (site_placement.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.filter import dr
from ansible_collections.arcdata.sqlmi.plugins.module_utils.site_placement import placement

SUB = "/subscriptions/0000/resourceGroups/%s/providers"


def custom_location(group, name, cluster, namespace="arc"):
    return {"id": "%s/Microsoft.ExtendedLocation/customLocations/%s" % (SUB % group, name),
            "properties": {"hostResourceId": "%s/Microsoft.Kubernetes/connectedClusters/%s" % (SUB % group, cluster),
                           "namespace": namespace}}


def report(site, where):
    return {"site": site, "instance_name": "sql" + site, "dag_name": "dag", "reachable": True, "instance": None,
            "dag": None, "placement": where}


def distinct(first, second):
    return dr.dr_site_problems([report("primary", first), report("secondary", second)], checks=["distinct"])


EAST = custom_location("rg-east", "cl-east", "aks-east")
WEST = custom_location("rg-west", "cl-west", "aks-west")


def test_two_custom_locations_on_two_clusters_are_two_places():
    assert distinct(placement(EAST), placement(WEST)) == []


def test_one_custom_location_given_to_both_sites_is_refused_naming_it():
    problems = distinct(placement(EAST), placement(custom_location("RG-EAST", "CL-EAST", "aks-east")))
    assert len(problems) == 1
    assert "site primary and site secondary are both given custom location" in problems[0]
    assert EAST["id"] in problems[0] and "arc_azure_custom_location" in problems[0]


def test_two_custom_locations_on_one_cluster_are_refused_naming_the_cluster():
    other = custom_location("rg-east", "cl-east-2", "aks-east", namespace="arc2")
    problems = distinct(placement(EAST), placement(other))
    assert len(problems) == 1
    assert "on one connected cluster" in problems[0] and EAST["properties"]["hostResourceId"] in problems[0]


def test_one_namespace_of_one_kubernetes_api_is_refused():
    problems = distinct(placement(server="https://10.0.0.1:6443/", namespace="arc"),
                        placement(server="https://10.0.0.1:6443", namespace="arc"))
    assert problems == ["site primary and site secondary both reach namespace arc of the Kubernetes API "
                        "https://10.0.0.1:6443: the two sites of a DR pair must be on different clusters; check "
                        "arc_kubeconfig and arc_context of both"]


def test_two_namespaces_of_one_kubernetes_api_are_one_cluster():
    problems = distinct(placement(server="https://10.0.0.1:6443", namespace="arc-a"),
                        placement(server="https://10.0.0.1:6443", namespace="arc-b"))
    assert len(problems) == 1 and "namespaces arc-a and arc-b" in problems[0]


@pytest.mark.parametrize("first, second", [
    (None, placement(WEST)),                                       # a site whose API could not be read
    (placement(), placement()),                                    # nothing known of either
    (placement(EAST), placement(server="https://10.0.0.1:6443", namespace="arc")),  # a mixed pair: nothing to compare
])
def test_what_cannot_be_compared_is_no_problem(first, second):
    assert distinct(first, second) == []


def test_the_check_runs_by_default():
    sites = [report("primary", placement(EAST)), report("secondary", placement(EAST))]
    assert any("custom location" in problem for problem in dr.dr_site_problems(sites))
