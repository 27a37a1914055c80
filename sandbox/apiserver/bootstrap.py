"""What a site's API holds before anyone talks to it: the profile's CRDs, its namespace, its
DataController. Runs at every start and only writes what is missing or out of date, so a site
that restarts keeps its objects and resourceVersions.
"""
from .. import profiles
from ..profiles import data_controller, data_controller_status, namespace
from .resources import CRD_KEY


def _ensure_crd(objects, crd):
    crd_type = objects.registry.by_key(CRD_KEY)
    current = objects.store.get(CRD_KEY, "", crd["metadata"]["name"])
    if current is None:
        objects.create(crd_type, "v1", "", crd)
    elif current.get("spec") != crd["spec"]:
        crd = {**crd, "metadata": {**crd["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}}
        objects.update(crd_type, "v1", "", crd["metadata"]["name"], crd)


def _ensure_namespace(objects, name):
    ns_type = objects.registry.by_key("namespaces")
    if objects.store.get("namespaces", "", name) is None:
        objects.create(ns_type, "v1", "", namespace(name))


def _ensure_data_controller(objects, site):
    dc_type = objects.registry.by_key("datacontrollers.arcdata.microsoft.com")
    version = dc_type.storage_version
    if objects.store.get(dc_type.key, site.namespace, profiles.DATA_CONTROLLER_NAME) is not None:
        return
    body = data_controller(site)
    body["apiVersion"] = dc_type.api_version(version)
    created = objects.create(dc_type, version, site.namespace, body)[0]
    created["status"] = {**data_controller_status(), "observedGeneration": created["metadata"]["generation"]}
    objects.update(dc_type, version, site.namespace, created["metadata"]["name"], created, subresource="status")


def bootstrap(objects, site):
    for crd in profiles.crds(site.profile):
        _ensure_crd(objects, crd)
    _ensure_namespace(objects, "default")
    _ensure_namespace(objects, site.namespace)
    _ensure_data_controller(objects, site)
