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
