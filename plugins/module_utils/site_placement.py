# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a site's instances live, and the rule that the two sites of a DR pair are two places.

A site is placed by its custom location in Azure Resource Manager (direct mode: the custom location names the
connected cluster, `hostResourceId`, and the namespace Resource Manager creates the instance in) and by its
Kubernetes API and namespace (whenever a kubeconfig reaches it). Two sites of one pair in one place is an inventory
mistake (a custom location or kubeconfig copied from the other site): nothing in Resource Manager ties a custom
location to an inventory host, so without this rule such a pair would put both instances on one cluster, and the
loss of that cluster would take both."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from operator import itemgetter


def placement(custom_location=None, server=None, namespace=None):
    """A site's placement. `custom_location` is the custom location resource as Resource Manager returns it (or
    None); `server` and `namespace` are the Kubernetes API URL and namespace (None without a kubeconfig)."""
    properties = (custom_location or {}).get("properties") or {}
    return {"custom_location": (custom_location or {}).get("id"),
            "cluster": properties.get("hostResourceId"),
            "custom_location_namespace": properties.get("namespace"),
            "server": server.rstrip("/") if server else None,
            "namespace": namespace}


def _same(left, right):
    return bool(left) and bool(right) and left.lower() == right.lower()


def shared_place_problems(first, second):
    """One message per way two sites' placements (`(label, placement)` pairs) are one place; empty when they are
    apart or too little is known to tell. The sites are named in alphabetical order, whatever order they come in."""
    (first_label, mine), (second_label, theirs) = sorted([first, second], key=itemgetter(0))
    mine, theirs = mine or {}, theirs or {}
    both = "%s and %s" % (first_label, second_label)
    found = []
    if _same(mine.get("custom_location"), theirs.get("custom_location")):
        found.append("%s are both given custom location %s (arc_azure_custom_location): each site of a DR pair is "
                     "placed by its own cluster's custom location; set the variable of the site it is wrong for to "
                     "that site's (az customlocation list)" % (both, mine["custom_location"]))
    elif _same(mine.get("cluster"), theirs.get("cluster")):
        found.append("%s have custom locations %s and %s on one connected cluster, %s: the two sites of a DR pair "
                     "must be on different clusters (losing that cluster would lose both); set "
                     "arc_azure_custom_location of one site to the custom location of its own cluster"
                     % (both, mine.get("custom_location"), theirs.get("custom_location"), mine["cluster"]))
    if _same(mine.get("server"), theirs.get("server")):
        if _same(mine.get("namespace"), theirs.get("namespace")):
            where = "namespace %s of the Kubernetes API %s" % (mine["namespace"], mine["server"])
        else:
            where = "one Kubernetes API, %s (namespaces %s and %s)" % (
                mine["server"], mine.get("namespace"), theirs.get("namespace"))
        found.append("%s both reach %s: the two sites of a DR pair must be on different clusters; check "
                     "arc_kubeconfig and arc_context of both" % (both, where))
    return found
