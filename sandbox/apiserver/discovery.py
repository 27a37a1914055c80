"""API discovery documents: /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>."""
import hashlib

KUBERNETES_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-arcsandbox", "gitCommit": "sandbox",
                      "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.6",
                      "compiler": "gc", "platform": "linux/amd64"}


def core_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_entry(group, versions):
    return {
        "name": group,
        "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
    }


def group_list(registry):
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_entry(g, versions) for g, versions in registry.groups().items()]}


def group(registry, name):
    versions = registry.groups().get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(name, versions)}


def _storage_version_hash(rtype):
    return hashlib.sha256(f"{rtype.group}/{rtype.storage_version}/{rtype.kind}".encode()).hexdigest()[:11]


def resource_list(registry, group_name, version):
    types = registry.types_in(group_name, version)
    if not types:
        return None
    resources = []
    for rtype in sorted(types, key=lambda t: t.plural):
        entry = {"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
                 "kind": rtype.kind, "verbs": rtype.verbs, "storageVersionHash": _storage_version_hash(rtype)}
        if rtype.short_names:
            entry["shortNames"] = rtype.short_names
        if rtype.categories:
            entry["categories"] = rtype.categories
        resources.append(entry)
        if rtype.has_status:
            resources.append({"name": f"{rtype.plural}/status", "singularName": "", "namespaced": rtype.namespaced,
                              "kind": rtype.kind, "verbs": ["get", "patch", "update"]})
        for sub in rtype.extra_subresources:
            resources.append({"name": f"{rtype.plural}/{sub}", "singularName": "", "namespaced": rtype.namespaced,
                              "kind": rtype.kind, "verbs": ["update"]})
    group_version = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


# Aggregated discovery (apidiscovery.k8s.io/v2, GA in Kubernetes 1.30): every group, version and
# resource in one answer to GET /api or /apis, when the client asks for it in Accept.
AGGREGATED_MEDIA = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept_header):
    for offer in (accept_header or "").split(","):
        parameters = {p.split("=", 1)[0].strip(): p.split("=", 1)[-1].strip() for p in offer.split(";")[1:]}
        if (parameters.get("g"), parameters.get("v"), parameters.get("as")) == (
                "apidiscovery.k8s.io", "v2", "APIGroupDiscoveryList"):
            return True
    return False


def _discovery_resource(rtype, version):
    kind = {"group": rtype.group, "version": version, "kind": rtype.kind}
    entry = {"resource": rtype.plural, "responseKind": kind,
             "scope": "Namespaced" if rtype.namespaced else "Cluster", "singularResource": rtype.singular,
             "verbs": rtype.verbs}
    if rtype.short_names:
        entry["shortNames"] = rtype.short_names
    if rtype.categories:
        entry["categories"] = rtype.categories
    subresources = [{"subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]}] \
        if rtype.has_status else []
    subresources += [{"subresource": sub, "responseKind": kind, "verbs": ["update"]}
                     for sub in rtype.extra_subresources]
    if subresources:
        entry["subresources"] = subresources
    return entry


def _discovery_group(registry, group, versions):
    return {"metadata": {"name": group, "creationTimestamp": None},
            "versions": [{"version": v, "freshness": "Current",
                          "resources": [_discovery_resource(t, v)
                                        for t in sorted(registry.types_in(group, v), key=lambda t: t.plural)]}
                         for v in versions]}


def aggregated(registry, core):
    """The APIGroupDiscoveryList of /api (core=True) or /apis."""
    groups = [("", ["v1"])] if core else list(registry.groups().items())
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": [_discovery_group(registry, g, versions) for g, versions in groups]}
