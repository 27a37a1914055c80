"""ownerReference garbage collection: background and foreground cascade, orphaning, several owners.

A real cluster's garbage collector works asynchronously, so the tests wait (briefly) for the outcome.
"""
import pytest
from kubernetes import client

from .client_support import FOG, SQLMI, exists, owner_reference, secret, wait_until
from .conftest import fog_body, sqlmi_body

G, V, P = SQLMI


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


@pytest.fixture
def family(primary, api, unique_name):
    """An owner SqlManagedInstance with a FailoverGroup and a Secret that reference its uid."""
    ns, tag = primary.namespace, unique_name("gc")
    owner = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(f"{tag}-mi", ns))
    fog = fog_body(f"{tag}-fog", ns)
    fog["metadata"]["ownerReferences"] = [owner_reference(owner)]
    fog = api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog)
    sec = primary.core().create_namespaced_secret(ns, secret(f"{tag}-secret", owners=[owner_reference(owner)]))
    assert fog["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]
    assert sec.metadata.owner_references[0].uid == owner["metadata"]["uid"]
    return owner, fog, sec


def _fog_exists(api, fog):
    return exists(api.get_namespaced_custom_object, *FOG[:2], fog["metadata"]["namespace"], FOG[2],
                  fog["metadata"]["name"])


def _with_owners(obj, count):
    """`obj` (a dict or a client model) if it has exactly `count` ownerReferences, else None."""
    refs = obj["metadata"].get("ownerReferences") if isinstance(obj, dict) else obj.metadata.owner_references
    return obj if len(refs or []) == count else None


def _secret_exists(primary, sec):
    return exists(primary.core().read_namespaced_secret, sec.metadata.name, sec.metadata.namespace)


@pytest.mark.parametrize("policy", [None, "Background", "Foreground"])
def test_deleting_the_owner_deletes_its_dependents(primary, api, family, policy):
    owner, fog, sec = family
    kwargs = {"propagation_policy": policy} if policy else {}
    api.delete_namespaced_custom_object(G, V, owner["metadata"]["namespace"], P, owner["metadata"]["name"], **kwargs)
    wait_until(lambda: not _fog_exists(api, fog) and not _secret_exists(primary, sec),
               message="the FailoverGroup and the Secret to be collected")
    assert not exists(api.get_namespaced_custom_object, G, V, owner["metadata"]["namespace"], P,
                      owner["metadata"]["name"])


def test_orphan_keeps_dependents_and_removes_the_reference(primary, api, family):
    owner, fog, sec = family
    ns = owner["metadata"]["namespace"]
    api.delete_namespaced_custom_object(G, V, ns, P, owner["metadata"]["name"], propagation_policy="Orphan")
    wait_until(lambda: not exists(api.get_namespaced_custom_object, G, V, ns, P, owner["metadata"]["name"]),
               message="the owner to be deleted")
    kept_fog = wait_until(
        lambda: _with_owners(api.get_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog["metadata"]["name"]), 0),
        message="the FailoverGroup's ownerReference to be removed")
    assert kept_fog["metadata"]["uid"] == fog["metadata"]["uid"]
    assert kept_fog["spec"] == fog["spec"]
    assert kept_fog["metadata"]["generation"] == fog["metadata"]["generation"]
    kept_secret = wait_until(lambda: _with_owners(primary.core().read_namespaced_secret(sec.metadata.name, ns), 0),
                             message="the Secret's ownerReference to be removed")
    assert kept_secret.metadata.uid == sec.metadata.uid


def test_orphan_through_delete_options_body(primary, api, family):
    owner, fog, sec = family
    ns = owner["metadata"]["namespace"]
    api.delete_namespaced_custom_object(G, V, ns, P, owner["metadata"]["name"],
                                        body=client.V1DeleteOptions(propagation_policy="Orphan"))
    wait_until(lambda: not exists(api.get_namespaced_custom_object, G, V, ns, P, owner["metadata"]["name"]),
               message="the owner to be deleted")
    assert _fog_exists(api, fog) and _secret_exists(primary, sec)


def test_a_dependent_with_another_live_owner_survives(primary, api, family, unique_name):
    owner, dummy, dummy = family
    ns = owner["metadata"]["namespace"]
    second = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(unique_name("gc2"), ns))
    shared = primary.core().create_namespaced_secret(
        ns, secret(unique_name("shared"), owners=[owner_reference(owner), owner_reference(second)]))
    api.delete_namespaced_custom_object(G, V, ns, P, owner["metadata"]["name"])
    remaining = wait_until(lambda: _with_owners(primary.core().read_namespaced_secret(shared.metadata.name, ns), 1),
                           message="the dangling ownerReference to be removed")
    assert remaining.metadata.owner_references[0].uid == second["metadata"]["uid"]
    assert remaining.metadata.uid == shared.metadata.uid


def test_deleting_a_dependent_leaves_the_owner(primary, api, family):
    owner, fog, dummy = family
    ns = owner["metadata"]["namespace"]
    api.delete_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog["metadata"]["name"])
    assert api.get_namespaced_custom_object(G, V, ns, P, owner["metadata"]["name"]) == owner
