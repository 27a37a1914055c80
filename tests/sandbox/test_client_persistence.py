"""A killed site comes back with every acknowledged object and resourceVersion (kill -9, then start)."""
import urllib3
from kubernetes import client

from .client_support import FOG, SQLMI, secret
from .conftest import fog_body, sqlmi_body

G, V, P = SQLMI


def _snapshot(site, names):
    api = client.CustomObjectsApi(site.api_client())
    ns = site.namespace
    return {
        "sqlmi": api.get_namespaced_custom_object(G, V, ns, P, names["sqlmi"]),
        "fog": api.get_namespaced_custom_object(*FOG[:2], ns, FOG[2], names["fog"]),
        "secret": site.core().read_namespaced_secret(names["secret"], ns).to_dict(),
        "dc": api.get_namespaced_custom_object("arcdata.microsoft.com", "v5", ns, "datacontrollers", "arc-dc"),
    }


def _list_version(site):
    api = client.CustomObjectsApi(site.api_client())
    return int(api.list_namespaced_custom_object(G, V, site.namespace, P, limit=1)["metadata"]["resourceVersion"])


def test_a_killed_site_restarts_with_its_objects_and_resource_versions(sandbox, unique_name):
    site = sandbox.site("primary")
    ns, tag = site.namespace, unique_name("persist")
    api = client.CustomObjectsApi(site.api_client())
    names = {"sqlmi": f"{tag}-mi", "fog": f"{tag}-fog", "secret": f"{tag}-secret"}
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(names["sqlmi"], ns))
    created["status"] = {"state": "Ready"}
    api.replace_namespaced_custom_object_status(G, V, ns, P, names["sqlmi"], created)
    api.patch_namespaced_custom_object(G, V, ns, P, names["sqlmi"], {"spec": {"replicas": 2}})  # generation 2
    api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(names["fog"], ns))
    site.core().create_namespaced_secret(ns, secret(names["secret"]))
    before = _snapshot(site, names)
    version_before = _list_version(site)

    try:
        sandbox.kill("primary")
        try:
            client.VersionApi(site.api_client()).get_code(_request_timeout=2)
            raise AssertionError("the killed site still answers")
        except (urllib3.exceptions.HTTPError, OSError):
            pass
    finally:
        sandbox.start("primary")  # whatever happened: the rest of the session needs the site

    after = _snapshot(site, names)
    assert after == before  # every field, uid, generation, status and resourceVersion
    assert after["sqlmi"]["metadata"]["generation"] == 2 and after["sqlmi"]["status"] == {"state": "Ready"}
    assert _list_version(site) == version_before  # nothing written by the restart itself

    written = client.CustomObjectsApi(site.api_client()).patch_namespaced_custom_object(
        G, V, ns, P, names["sqlmi"], {"spec": {"replicas": 3}})
    assert int(written["metadata"]["resourceVersion"]) > version_before
    assert written["metadata"]["generation"] == 3
