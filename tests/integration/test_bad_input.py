"""Bad input fails before any write (issue 4, item 7; issue 6, item 2: the module half of the bad-input matrix;
the playbook half is test_bad_input_playbooks.py).

Every case is one task of ONE ansible-playbook run on the primary site (ignore_errors, so that each case runs
whatever the others did; one run instead of one per case keeps the file fast). Each must fail with a message
naming the option, the value (except for certificate text, which is never echoed) and what is allowed, and
neither site's audit log may show a single write request of the collection during the run, not even a dry run.
Secrets given by mistake (a private key, a weak password, a kubeconfig's token) must not appear anywhere in the
output, and the run is made at -vvv, where Ansible shows every module's invocation.
"""
import copy
import datetime
import re
import time

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import Ansible, collection_requests, unique, wait_for_object

GROUP = "sql.arcdata.microsoft.com"
SITES = ("primary", "secondary")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
PASSWORD = "BadInput-Passw0rd!"
WEAK_PASSWORD = "weakpass77"
PARTNER_URL = "tcp://127.20.0.1:5022"
# the one run of every case happens inside the first test: room for a loaded machine beyond pytest.ini's 300 s
pytestmark = pytest.mark.timeout(600)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(key, days_from, days_to, instance=None):
    """A self-signed certificate valid from `days_from` to `days_to` days from now (negative: in the past); with
    `instance`, it carries the DNS names an Arc data controller gives that instance's mirroring certificate."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbm-partner")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days_from))
               .not_valid_after(now + datetime.timedelta(days=days_to)))
    if instance:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("%s-svc" % instance), x509.DNSName("%s-svc.arc.svc" % instance)]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


KEY = _key()
VALID_CERT = _certificate(KEY, -1, 365)
EXPIRED_CERT = _certificate(KEY, -30, -1)
NOT_YET_VALID_CERT = _certificate(KEY, 10, 365)
OTHER_INSTANCE_CERT = _certificate(KEY, -1, 365, instance="sqlother")
PRIVATE_KEY = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
PRIVATE_KEY_LINES = [line for line in PRIVATE_KEY.splitlines() if "-----" not in line]


@pytest.fixture(scope="module")
def existing(arc_sites):
    """On the primary site: a GeneralPurpose instance (LicenseIncluded) and a DAG resource created with role
    secondary, made straight through the API (they only need to exist)."""
    site = arc_sites.site("primary")
    names = {"mi": unique("badmi"), "dag": unique("baddag")}
    custom, core = site.custom(), site.core()
    try:
        core.create_namespaced_secret(site.namespace, {
            "metadata": {"name": names["mi"] + "-login-secret"}, "type": "Opaque",
            "stringData": {"username": "dbadmin", "password": PASSWORD}})
        custom.create_namespaced_custom_object(GROUP, "v13", site.namespace, "sqlmanagedinstances", {
            "apiVersion": GROUP + "/v13", "kind": "SqlManagedInstance", "metadata": {"name": names["mi"]},
            "spec": {"tier": "GeneralPurpose", "replicas": 1, "licenseType": "LicenseIncluded",
                     "security": {"adminLoginSecret": names["mi"] + "-login-secret"}}})
        custom.create_namespaced_custom_object(GROUP, "v2", site.namespace, "failovergroups", {
            "apiVersion": GROUP + "/v2", "kind": "FailoverGroup", "metadata": {"name": names["dag"]},
            "spec": {"sharedName": names["dag"], "sourceMI": names["mi"], "partnerMI": "badpartner",
                     "partnerMirroringURL": PARTNER_URL, "partnerMirroringCert": VALID_CERT,
                     "partnerSyncMode": "async", "role": "secondary"}})
        # the instance's own mirroring certificate, once the site's controller has issued it
        names["mi-cert"] = wait_for_object(site, "sqlmanagedinstances", names["mi"], _has_certificate, version="v13")[
            "status"]["highAvailability"]["mirroringCertificate"]
        yield names
    finally:
        for plural, version, name in (("failovergroups", "v2", names["dag"]),
                                      ("sqlmanagedinstances", "v13", names["mi"])):
            try:
                custom.delete_namespaced_custom_object(GROUP, version, site.namespace, plural, name)
            except Exception:  # pylint: disable=broad-except
                pass
        try:
            core.delete_namespaced_secret(names["mi"] + "-login-secret", site.namespace)
        except Exception:  # pylint: disable=broad-except
            pass


def _has_certificate(obj):
    return bool(((obj.get("status") or {}).get("highAvailability") or {}).get("mirroringCertificate"))


@pytest.fixture(scope="module")
def kubeconfigs(arc_sites, tmp_path_factory):
    """Broken kubeconfigs made from the primary site's own: a file that is not YAML, one without clusters (it
    still holds the tokens), and, as a dict, one whose users have no token; and every token they came with."""
    workdir = tmp_path_factory.mktemp("kubeconfigs")
    with open(arc_sites.site("primary").kubeconfig) as handle:
        good = yaml.safe_load(handle)
    tokens = [user["user"]["token"] for user in good["users"] if user.get("user", {}).get("token")]
    not_yaml = workdir / "not-yaml.kubeconfig"
    not_yaml.write_text("apiVersion: v1\nclusters: [{name: arc, cluster: {server: https://x}\nusers: ::\n")
    no_clusters = workdir / "no-clusters.kubeconfig"
    no_clusters.write_text(yaml.safe_dump(dict(good, clusters=[])))
    no_token = copy.deepcopy(good)
    for user in no_token["users"]:
        user["user"].pop("token", None)
    return {"not-yaml": str(not_yaml), "no-clusters": str(no_clusters), "no-token": no_token, "tokens": tokens}


def instance(**args):
    """arc_sqlmi arguments of a valid creation, overridden by `args`."""
    values = {"name": "@new", "tier": "gp", "admin_username": "dbadmin", "admin_password": PASSWORD}
    values.update(args)
    return "arcdata.sqlmi.arc_sqlmi", values


def dag(**args):
    """arc_dag arguments of a valid creation on the existing instance, overridden by `args` (None: left out)."""
    values = {"name": "@new", "dag_name": "@new", "local_instance": "@mi", "remote_instance": "badpartner",
              "remote_mirroring_url": PARTNER_URL, "remote_mirroring_cert": VALID_CERT, "role": "primary",
              "wait": False}
    values.update(args)
    return "arcdata.sqlmi.arc_dag", dict((k, v) for k, v in values.items() if v is not None)


# (id, (module, arguments), fragments the message must contain (case-insensitive), secrets it must not)
CASES = [
    ("name-uppercase", instance(name="SqlPrimary"), ["name", "'SqlPrimary'", "lowercase letters"], []),
    ("name-too-long", instance(name="s" * 61), ["name", "'%s'" % ("s" * 61), "at most 60 characters"], []),
    ("gp-with-3-replicas", instance(tier="gp", replicas=3), ["replicas=3", "GeneralPurpose", "exactly 1 replica"],
     []),
    ("bc-with-1-replica", instance(tier="bc", replicas=1), ["replicas=1", "BusinessCritical", "use 2 or 3"], []),
    ("unknown-tier", instance(tier="hyperscale"), ["tier", "hyperscale", "gp, bc, GeneralPurpose, BusinessCritical"],
     []),
    ("readable-secondaries-out-of-range", instance(tier="bc", replicas=3, readable_secondaries=3),
     ["readable_secondaries=3", "between 0 and replicas - 1 (2)"], []),
    ("memory-request-below-2Gi", instance(memory_request="1Gi"), ["memory_request='1Gi'", "at least 2Gi"], []),
    ("weak-admin-password", instance(admin_password=WEAK_PASSWORD),
     ["admin_password", "at least 8 characters from 3 of"], [WEAK_PASSWORD]),
    ("tier-change", instance(name="@mi", tier="bc", replicas=3),
     ["tier cannot change", "GeneralPurpose", "BusinessCritical (bc)"], []),
    ("dr-flag-on-an-existing-instance", instance(name="@mi", disaster_recovery_site=True),
     ["disaster_recovery_site=true is a creation-time choice", "LicenseIncluded", "use license_type"], []),
    ("missing-kubeconfig", instance(kubeconfig="/nonexistent/arc.kubeconfig"),
     ["kubeconfig", "'/nonexistent/arc.kubeconfig'", "does not exist or is not a file"], []),
    ("unknown-context", instance(context="arc-nowhere"),
     ["kubeconfig context 'arc-nowhere'", "its contexts are 'arc-primary'"], []),
    # with the admin's context: the sandbox inventory's operator may not even read another namespace
    ("namespace-without-data-controller", instance(namespace="default", context="@admin-context"),
     ["namespace", "'default'", "no Arc data controller", "namespace of the site's data controller"], []),
    ("unknown-role", dag(role="leader"),
     ["role", "leader", "primary, secondary, force-primary-allow-data-loss, force-secondary"], []),
    ("role-primary-on-existing-dag", dag(name="@dag", role="primary", remote_mirroring_cert=None),
     ["role=primary", "existing resource", "role=secondary on the partner", "force-primary-allow-data-loss"], []),
    ("certificate-not-pem", dag(remote_mirroring_cert="MIIB this is not a certificate"),
     ["remote_mirroring_cert", "not PEM", "BEGIN CERTIFICATE"], []),
    ("certificate-is-a-private-key", dag(remote_mirroring_cert=PRIVATE_KEY),
     ["remote_mirroring_cert", "PRIVATE KEY", "public certificate"], PRIVATE_KEY_LINES),
    ("certificate-expired", dag(remote_mirroring_cert=EXPIRED_CERT), ["remote_mirroring_cert", "expired on"], []),
    ("mirroring-url-without-scheme", dag(remote_mirroring_url="127.20.0.1:5022"),
     ["remote_mirroring_url='127.20.0.1:5022'", "tcp://<host>:<port>"], []),
    ("mirroring-url-without-port", dag(remote_mirroring_url="tcp://127.20.0.1"),
     ["remote_mirroring_url='tcp://127.20.0.1'", "tcp://<host>:<port>"], []),
    ("create-without-certificate", dag(remote_mirroring_cert=None),
     ["remote_mirroring_cert or remote_mirroring_cert_file is required", "PEM"], []),
    ("same-local-and-remote-instance", dag(remote_instance="@mi"),
     ["local_instance and remote_instance are both", "different names"], []),
    # -- issue 6, item 2: the rest of the module half of the bad-input matrix --------------------------------
    ("certificate-of-another-instance", dag(remote_mirroring_cert=OTHER_INSTANCE_CERT),
     ["remote_mirroring_cert", "certificate of instance 'sqlother'", "not of remote_instance 'badpartner'",
      "arc_mirroring_cert"], []),
    ("certificate-of-the-local-instance", dag(remote_mirroring_cert="@mi-cert"),
     ["remote_mirroring_cert", "certificate of local_instance '@mi'", "this site's own",
      "certificate of remote_instance 'badpartner'"], []),
    ("certificate-chain-of-two", dag(remote_mirroring_cert=VALID_CERT + EXPIRED_CERT),
     ["remote_mirroring_cert", "exactly one CERTIFICATE block", "found: CERTIFICATE, CERTIFICATE"], []),
    ("certificate-not-yet-valid", dag(remote_mirroring_cert=NOT_YET_VALID_CERT),
     ["remote_mirroring_cert", "is not valid before"], []),
    ("certificate-file-missing", dag(remote_mirroring_cert=None, remote_mirroring_cert_file="/nonexistent/dr.pem"),
     ["remote_mirroring_cert_file", "'/nonexistent/dr.pem'", "cannot be read", "No such file"], []),
    ("mirroring-url-http-scheme", dag(remote_mirroring_url="http://127.20.0.1:5022"),
     ["remote_mirroring_url='http://127.20.0.1:5022'", "tcp://<host>:<port>"], []),
    ("mirroring-url-port-out-of-range", dag(remote_mirroring_url="tcp://127.20.0.1:70000"),
     ["remote_mirroring_url='tcp://127.20.0.1:70000'", "tcp://<host>:<port>"], []),
    ("force-secondary-on-a-dag-that-does-not-exist", dag(role="force-secondary"),
     ["role='force-secondary'", "not accepted at creation", "use primary or secondary"], []),
    ("dag-resource-name-uppercase", dag(name="dagPrimary"),
     ["name 'dagPrimary'", "not a valid Kubernetes resource name", "lowercase letters", "'dagprimary'"], []),
    ("remote-instance-name-invalid", dag(remote_instance="Sql_DR"),
     ["remote_instance='Sql_DR'", "not a valid instance name", "lowercase letters"], []),
    ("local-instance-missing", dag(local_instance="nosuchmi"),
     ["local_instance 'nosuchmi'", "does not exist in namespace"], []),
    ("sync-mode-typo", dag(sync_mode="asynch"), ["sync_mode", "asynch", "async, sync"], []),
    ("license-type-typo", instance(license_type="DisasterRecoverY"),
     ["license_type", "DisasterRecoverY", "LicenseIncluded, BasePrice, DisasterRecovery"], []),
    ("dr-flag-contradicts-license-type", instance(disaster_recovery_site=True, license_type="BasePrice"),
     ["disaster_recovery_site=true", "license_type DisasterRecovery", "'BasePrice'", "drop one of the two"], []),
    ("replicas-not-an-integer", instance(replicas="three"), ["replicas", "three", "int"], []),
    ("cores-request-zero", instance(cores_request="0"),
     ["cores_request='0'", "whole number of at least 1"], []),
    ("cores-request-negative", instance(cores_request="-2"),
     ["cores_request='-2'", "not a Kubernetes quantity", "'2' or '500m'"], []),
    ("storage-size-not-a-quantity", instance(volume_size_data="lots"),
     ["volume_size_data='lots'", "not a Kubernetes quantity such as '5Gi'"], []),
    ("memory-request-above-limit", instance(memory_request="8Gi", memory_limit="4Gi"),
     ["memory_request='8Gi' is above memory_limit='4Gi'"], []),
    ("admin-username-sa", instance(admin_username="sa"), ["admin_username", "'sa'", "must not be"], []),
    ("password-contains-username", instance(admin_password="Dbadmin-Passw0rd!"),
     ["admin_password must not contain admin_username"], ["Dbadmin-Passw0rd!"]),
    ("service-type-typo", instance(service_type="ClusterIp"),
     ["service_type", "ClusterIp", "LoadBalancer, NodePort"], []),
    ("kubeconfig-not-yaml", instance(kubeconfig="@not-yaml"),
     ["kubeconfig '@not-yaml'", "is not YAML (line", "expected a kubeconfig", "clusters, contexts and users"], []),
    ("kubeconfig-without-clusters", instance(kubeconfig="@no-clusters"),
     ["kubeconfig '@no-clusters'", "names cluster 'arc-primary'", "not among its clusters (none)"], ["@tokens"]),
    ("kubeconfig-dict-without-token", instance(kubeconfig="@no-token"),
     ["the kubeconfig given as a dict", "user '", "of context '", "has no credentials", "expected one of token",
      "api_key"], []),
]


def _resolve(value, names):
    """The case's value with its @names filled in: @new (a fresh name), @mi, @dag and @mi-cert (the existing
    objects and the instance's certificate), the broken kubeconfigs; inside a message fragment too."""
    if isinstance(value, dict):
        return dict((k, _resolve(v, names)) for k, v in value.items())
    if isinstance(value, str) and value.startswith("@") and value[1:] in names:
        return names[value[1:]]
    if isinstance(value, str) and "'@" in value:
        return re.sub(r"'@([a-z-]+)'", lambda m: repr(names.get(m.group(1), m.group(0))), value)
    return value


def collection_writes(site, mark):
    """Every write the collection sent to the site since `mark`, dry runs included."""
    return [(e["verb"], e["resource"], e["name"], e["code"]) for e in collection_requests(site.audit_since(mark))
            if e["verb"] in WRITE_VERBS]


def assert_fails_before_any_write(ansible, arc_sites, task, fragments, secrets=(), verbosity=0):
    marks = {host: arc_sites.site(host).audit_mark() for host in SITES}
    started = time.monotonic()
    run = ansible.run(ansible.play([dict(task, name="bad input")]), verbosity=verbosity)
    assert run.rc != 0, run
    result = run.result("bad input", "primary")
    assert [t["outcome"] for t in run.results("bad input")] == ["failed"], result
    message = result["msg"]
    missing = [f for f in fragments if f.lower() not in message.lower()]
    assert not missing, "the message lacks %s:\n%s" % (missing, message)
    output = run.stdout + run.stderr
    for secret in secrets:
        assert secret not in output, "a secret was echoed: %r in the output:\n%s" % (secret, output[-3000:])
    for host in SITES:
        assert collection_writes(arc_sites.site(host), marks[host]) == [], "%s: writes before failing" % host
    return run, message, time.monotonic() - started


@pytest.fixture(scope="module")
def matrix(arc_sites, existing, kubeconfigs, tmp_path_factory):
    """Every case run as one task (named by its id) of one playbook: the run, each case's names, and the
    collection's writes on each site during the run."""
    workdir = tmp_path_factory.mktemp("bad-input")
    ansible = Ansible(arc_sites, workdir)
    names, values, tasks = {}, {}, []
    for case_id, (module, args), dummy, dummy in CASES:
        names[case_id] = dict(existing, new=unique("badnew"), **kubeconfigs)
        names[case_id]["admin-context"] = arc_sites.site("primary").context
        values[case_id] = _resolve(args, names[case_id])
        # the values come from a vars file: a failed task's error shows the playbook lines around it, which would
        # show the next case's secret
        tasks.append({"name": case_id, "ignore_errors": True,
                      module: dict((k, "{{ bad_inputs[%r][%r] }}" % (case_id, k)) for k in args)})
    cases_file = workdir / "bad-inputs.yml"
    cases_file.write_text(yaml.safe_dump({"bad_inputs": values}))
    playbook = ansible.play(tasks)
    playbook[0]["vars_files"] = [str(cases_file)]
    marks = dict((host, arc_sites.site(host).audit_mark()) for host in SITES)
    started = time.monotonic()
    run = ansible.run(playbook, verbosity=3)
    print("bad-input matrix: %d module cases in %.1f s" % (len(CASES), time.monotonic() - started))
    writes = dict((host, collection_writes(arc_sites.site(host), marks[host])) for host in SITES)
    return run, names, writes


def _secrets(secrets, names):
    """The case's secrets, @tokens standing for every token of the site's kubeconfig."""
    return [token for secret in secrets for token in (names["tokens"] if secret == "@tokens" else [secret])]


@pytest.mark.parametrize("case_id, fragments, secrets", [(case[0],) + case[2:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_fails_before_any_write(matrix, case_id, fragments, secrets):
    run, names, writes = matrix
    results = run.results(case_id, "primary")
    assert [t["outcome"] for t in results] == ["failed"], run
    message = results[0]["result"]["msg"]
    missing = [f for f in (_resolve(f, names[case_id]) for f in fragments) if f.lower() not in message.lower()]
    assert not missing, "the message lacks %s:\n%s" % (missing, message)
    output = run.stdout + run.stderr
    for secret in _secrets(secrets, names[case_id]):
        assert secret not in output, "a secret was echoed: %r in the output" % secret
    # one run for all cases: a single write by any of them fails every case, and the list names the object
    assert writes == {"primary": [], "secondary": []}, "writes before failing: %s" % writes


def test_data_controller_in_direct_mode_is_refused_before_any_write(ansible, arc_sites, existing):
    site = arc_sites.site("primary")
    custom = site.custom()
    controller = custom.get_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                                     "arc-dc")
    mode = controller["spec"]["settings"]["azure"]["connectionMode"]

    def set_mode(value):
        custom.patch_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                              "arc-dc", {"spec": {"settings": {"azure": {"connectionMode": value}}}})
    try:
        set_mode("direct")
        for module, args in (instance(), dag()):
            task = {module: _resolve(args, dict(existing, new=unique("baddirect")))}
            dummy, message, dummy = assert_fails_before_any_write(
                ansible, arc_sites, task, ["direct connection mode", "'arc-dc'", "indirect connection mode"])
            assert re.search(r"namespace '%s'" % site.namespace, message), message
    finally:
        set_mode(mode)
    assert custom.get_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                               "arc-dc")["spec"]["settings"]["azure"]["connectionMode"] == mode
