"""Setting up a DR pair by hand (FailoverGroup, profile `current`): the connected pair's status, and
each wrong input of a hand-made setup failing with its cause named in `status.results`, then
corrected by patching the spec, without recreating anything."""
import socket

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kubernetes.client.rest import ApiException

from .conftest import FOG, GROUP, SQLMI, Instance, Pair, wait_for, wait_partner_state, watch_until
from .licence_support import switch_licence


def mentions(text, *words):
    """Assert `text` holds every word (case-insensitively); returns it."""
    for word in words:
        assert word.lower() in text.lower(), f"{word!r} missing from {text!r}"
    return text


def failed(dag):
    """The results of the DAG's current generation once it is Failed."""
    return dag.wait_settled(state="Failed")["results"]


def connected_after_correction(pair, corrected):
    """Both sides connect; the corrected side's new generation is Succeeded."""
    pair.wait_connected()
    status = corrected.wait_settled(state="Succeeded")
    assert status["results"] == ""
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}


def closed_port(host):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Made:
    """What a test made on the shared sandbox, deleted afterwards so that no link keeps retrying behind
    the next tests."""

    def __init__(self, sandbox):
        self.sandbox, self.pairs, self.instances = sandbox, [], []

    def pair(self):
        self.pairs.append(Pair(self.sandbox))
        return self.pairs[-1]

    def third_instance(self, pair, side):
        """Another Ready instance on the side's site, not part of the pair."""
        instance = Instance(pair.sites[side], f"sqlc-{pair.tag}")
        self.instances.append(instance)
        instance.create("DisasterRecovery")
        instance.wait_ready()
        return instance

    def delete_all(self):
        for pair in self.pairs:
            for dag in pair.dags.values():
                dag.delete()
        for instance in self.instances + [i for pair in self.pairs for i in pair.instances.values()]:
            try:
                instance.api.delete_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0],
                                                             instance.name)
            except ApiException as exc:
                if exc.status != 404:
                    raise


@pytest.fixture
def made(arc):
    tracker = Made(arc)
    yield tracker
    tracker.delete_all()


# -- the pair as it should be --------------------------------------------------------------------------
def test_a_pair_set_up_by_hand_connects_and_reports_its_replicas(made):
    pair = made.pair().create_instances()
    created = pair.dags["primary"].create(pair.dag_body("primary", "primary"))
    pair.dags["secondary"].create(pair.dag_body("secondary", "secondary"))
    seen = watch_until(pair.dags["primary"].api, FOG[0], FOG[1], pair.sites["primary"].namespace,
                       pair.dags["primary"].name, created["metadata"]["resourceVersion"],
                       lambda obj: (obj.get("status") or {}).get("state") in ("Succeeded", "Failed"), what="a verdict")
    first = seen[0].get("status") or {}
    assert first.get("state") not in ("Succeeded", "Failed", None) and "observedGeneration" not in first, first
    pair.wait_connected()
    names = {side: instance.name for side, instance in pair.instances.items()}
    for side, role in (("primary", "Primary"), ("secondary", "Secondary")):
        obj = pair.dags[side].get()
        status = obj["status"]
        assert status["state"] == "Succeeded"
        assert status["results"] == ""
        assert status["role"] == role
        assert status["healthState"] == "OK"
        assert status["observedGeneration"] == obj["metadata"]["generation"]
        assert status["lastUpdateTime"]
        replicas = {r["replicaName"]: r for r in status["replicas"]}
        assert sorted(replicas) == sorted(names.values())
        for replica in replicas.values():
            assert replica["connectedState"] == "CONNECTED" and replica["synchronizationState"] == "HEALTHY"
            assert replica["availabilityMode"] == "ASYNCHRONOUS_COMMIT"
        assert replicas[names["primary"]]["role"] == "PRIMARY"
        assert replicas[names["secondary"]]["role"] == "SECONDARY"


# -- wrong certificates ----------------------------------------------------------------------------------
def test_pinning_the_local_instances_own_certificate_fails_until_corrected(made):
    pair = made.pair().create_instances()
    own = pair.instances["primary"]
    pair.create_dags(primary_overrides={"cert": own.certificate})
    mentions(failed(pair.dags["primary"]), "certificate", "partnerMirroringCert")
    mentions(failed(pair.dags["secondary"]), "certificate", "partnerMirroringCert")
    pair.dags["primary"].patch(partnerMirroringCert=pair.instances["secondary"].certificate)
    connected_after_correction(pair, pair.dags["primary"])


def test_a_certificate_from_the_wrong_site_fails_until_corrected(made):
    pair = made.pair().create_instances()
    stranger = made.third_instance(pair, "secondary")  # issued by the secondary site's CA, to another instance
    pair.create_dags(secondary_overrides={"cert": stranger.certificate})
    primary_url = pair.instances["primary"].mirroring_url
    mentions(failed(pair.dags["secondary"]), "certificate", "partnerMirroringCert", primary_url)
    mentions(failed(pair.dags["primary"]), "certificate")
    pair.dags["secondary"].patch(partnerMirroringCert=pair.instances["primary"].certificate)
    connected_after_correction(pair, pair.dags["secondary"])


# -- wrong URLs --------------------------------------------------------------------------------------------
def test_a_url_to_a_closed_port_fails_until_corrected(made):
    pair = made.pair().create_instances()
    host = pair.instances["secondary"].status()["endpoints"]["mirroring"].rsplit(":", 1)[0]
    wrong = f"tcp://{host}:{closed_port(host)}"
    pair.create_dags(primary_overrides={"url": wrong})
    mentions(failed(pair.dags["primary"]), wrong, "connect")
    mentions(failed(pair.dags["secondary"]), pair.instances["primary"].name)
    pair.dags["primary"].patch(partnerMirroringURL=pair.instances["secondary"].mirroring_url)
    connected_after_correction(pair, pair.dags["primary"])


def test_a_url_to_another_instances_endpoint_fails_until_corrected(made):
    pair = made.pair().create_instances()
    stranger = made.third_instance(pair, "secondary")
    pair.create_dags(primary_overrides={"url": stranger.mirroring_url})
    mentions(failed(pair.dags["primary"]), stranger.mirroring_url)
    mentions(failed(pair.dags["secondary"]), pair.instances["primary"].name)
    pair.dags["primary"].patch(partnerMirroringURL=pair.instances["secondary"].mirroring_url)
    connected_after_correction(pair, pair.dags["primary"])


# -- wrong names ------------------------------------------------------------------------------------------
def test_different_shared_names_fail_until_corrected(made):
    pair = made.pair().create_instances()
    other_name = f"other-{pair.tag}"
    pair.create_dags(secondary_overrides={"shared_name": other_name})
    for side in ("primary", "secondary"):
        mentions(failed(pair.dags[side]), pair.shared_name, other_name)
    pair.dags["secondary"].patch(sharedName=pair.shared_name)
    connected_after_correction(pair, pair.dags["secondary"])


def test_a_partner_mi_that_is_not_the_peers_name_fails_until_corrected(made):
    pair = made.pair().create_instances()
    wrong = f"sqlz-{pair.tag}"
    peer = pair.instances["secondary"].name
    pair.create_dags(primary_overrides={"partner": wrong})
    mentions(failed(pair.dags["primary"]), wrong, peer)
    mentions(failed(pair.dags["secondary"]), wrong, peer)
    pair.dags["primary"].patch(partnerMI=peer)
    connected_after_correction(pair, pair.dags["primary"])


# -- wrong roles --------------------------------------------------------------------------------------------
def test_both_sides_primary_fail_until_one_is_demoted(made):
    pair = made.pair().create_instances()
    pair.dags["primary"].create(pair.dag_body("primary", "primary"))
    pair.dags["secondary"].create(pair.dag_body("secondary", "primary"))
    for side in ("primary", "secondary"):
        status = pair.dags[side].wait_settled(state="Failed")
        mentions(status["results"], "primary", pair.instances[pair.other(side)].name)
        assert status["healthState"] != "OK"
    pair.dags["secondary"].set_role("force-secondary")
    connected_after_correction(pair, pair.dags["secondary"])


def test_both_sides_secondary_fail_until_one_is_promoted(made):
    pair = made.pair().create_instances()
    pair.dags["primary"].create(pair.dag_body("primary", "secondary"))
    pair.dags["secondary"].create(pair.dag_body("secondary", "secondary"))
    for side in ("primary", "secondary"):
        mentions(failed(pair.dags[side]), "secondary", pair.instances[pair.other(side)].name)
    pair.dags["primary"].set_role("force-primary-allow-data-loss")
    connected_after_correction(pair, pair.dags["primary"])


def test_a_secondary_on_an_instance_with_user_transactions_is_refused(made):
    pair = made.pair().create_instances()
    switch_licence(pair.instances["secondary"], "LicenseIncluded")  # a DR instance takes no writes: used first,
    with pair.instances["secondary"].sql() as sql:
        sql.write("already", "here")
    switch_licence(pair.instances["secondary"], "DisasterRecovery")  # then relabelled DR
    pair.create_dags()
    mentions(failed(pair.dags["secondary"]), pair.instances["secondary"].name, "user transactions")


def test_primary_is_not_accepted_as_an_update(made):
    pair = made.pair().setup()
    pair.dags["secondary"].set_role("primary")
    mentions(failed(pair.dags["secondary"]), "primary", "secondary", "force-primary-allow-data-loss",
             "force-secondary")
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
    pair.dags["secondary"].set_role("secondary")
    connected_after_correction(pair, pair.dags["secondary"])


def test_a_garbage_role_at_creation_fails_until_corrected(made):
    pair = made.pair().create_instances()
    pair.dags["primary"].create(pair.dag_body("primary", "primary"))
    pair.dags["secondary"].create(pair.dag_body("secondary", "leader"))
    mentions(failed(pair.dags["secondary"]), "leader", "primary", "secondary")
    pair.dags["secondary"].set_role("secondary")
    connected_after_correction(pair, pair.dags["secondary"])


# -- a partner certificate that is no certificate -----------------------------------------------------------
def _private_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


NOT_A_CERTIFICATE = {
    "private-key": lambda cert: _private_key_pem(),
    "certificate-and-key": lambda cert: cert + _private_key_pem(),
    "garbage": lambda cert: "this is not a certificate",
    "garbage-in-pem-armour": lambda cert: "-----BEGIN CERTIFICATE-----\r\nbm90IGEgY2VydGlmaWNhdGU=\r\n"
                                          "-----END CERTIFICATE-----\r\n",
}


@pytest.mark.parametrize("case", sorted(NOT_A_CERTIFICATE))
def test_a_partner_certificate_that_is_not_one_certificate_fails_without_echoing_it(made, case):
    pair = made.pair().create_instances()
    value = NOT_A_CERTIFICATE[case](pair.instances["primary"].certificate)
    pair.create_dags(secondary_overrides={"cert": value})
    status = pair.dags["secondary"].wait_settled(state="Failed")
    mentions(status["results"], "certificate")
    site = pair.sites["secondary"]
    events = site.core().list_namespaced_event(site.namespace).items
    published = repr(status) + "".join(e.message or "" for e in events if e.involved_object.name ==
                                       pair.dags["secondary"].name)
    secret_lines = [line for line in value.splitlines() if line and not line.startswith("-----")]
    if "PRIVATE KEY" in value:
        assert all(line not in published for line in secret_lines), "the private key was echoed"
    pair.dags["secondary"].patch(partnerMirroringCert=pair.instances["primary"].certificate)
    connected_after_correction(pair, pair.dags["secondary"])


# -- deletion -------------------------------------------------------------------------------------------------
def test_deleting_a_dag_resource_stops_its_link(made):
    pair = made.pair().setup()
    pair.dags["secondary"].delete()
    status = wait_partner_state(pair.dags["primary"], "DISCONNECTED", timeout=10)
    assert status["healthState"] != "OK"
    assert status["results"], "the primary says why its partner is not connected"


def test_deleting_the_instance_deletes_the_failover_group_it_owns(made):
    pair = made.pair().create_instances()
    owner = pair.instances["primary"].get()
    body = pair.dag_body("primary", "primary")
    body["metadata"]["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": "SqlManagedInstance",
                                            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}]
    pair.dags["primary"].create(body)
    pair.dags["secondary"].create(pair.dag_body("secondary", "secondary"))
    pair.wait_connected()
    site = pair.sites["primary"]
    pair.instances["primary"].api.delete_namespaced_custom_object(GROUP, SQLMI[1], site.namespace, SQLMI[0],
                                                                  owner["metadata"]["name"])

    def collected():
        try:
            pair.dags["primary"].get()
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_for(collected, 10, what=f"FailoverGroup {pair.dags['primary'].name} to be garbage-collected")
    wait_partner_state(pair.dags["secondary"], "DISCONNECTED", timeout=10)
