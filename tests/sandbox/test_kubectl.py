"""kubectl 1.32, unmodified, as the client of a sandbox site: what an operator types must work and
print what it prints against a real cluster with the Arc CRDs (printer columns, apply's three-way
merge, strict field validation, server-side dry run, wait, patch, delete).
"""
import base64
import re
import threading
import time

import pytest

from .conftest import ARC_GROUP, fog_body, sqlmi_body, to_yaml

MI_VERSION = "v13"
FOG_VERSION = "v2"
MI_STATUS = {"state": "Ready", "roles": {"sql": {"replicas": 1, "readyReplicas": 1}},
             "endpoints": {"primary": "127.10.0.1,31433"}, "runningVersion": "16.0.5000.1"}
FOG_STATUS = {"state": "Succeeded", "results": "partner not reachable", "role": "Primary"}


@pytest.fixture(scope="module")
def kubectl():
    def run(site, *args, **kwargs):
        return site.kubectl(*args, **kwargs)
    return run


def parse_tables(text):
    """kubectl's table output as one list of {HEADER: cell} rows per table (tables are separated by a
    blank line); cells are cut at the header columns' offsets, so empty cells read as ""."""
    tables = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
        headers = lines[0].split()
        bounds = list(zip(starts, starts[1:] + [None]))
        tables.append([{h: line[a:b].strip() for h, (a, b) in zip(headers, bounds)} for line in lines[1:]])
    return tables


def row_named(table, name):
    matches = [row for row in table if row["NAME"].rpartition("/")[2] == name]
    assert len(matches) == 1, f"expected one row named {name} in {table}"
    return matches[0]


def create_with_status(site, plural, version, body, status):
    api = site.custom()
    namespace = body["metadata"]["namespace"]
    api.create_namespaced_custom_object(ARC_GROUP, version, namespace, plural, body)
    api.patch_namespaced_custom_object_status(ARC_GROUP, version, namespace, plural, body["metadata"]["name"],
                                              {"status": status})


def mi_manifest(name, namespace, **spec):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-login-secret"},
              "type": "Opaque", "stringData": {"username": "admin", "password": "S3cret-pass!"}}
    instance = sqlmi_body(name, namespace, MI_VERSION, **spec)
    del instance["metadata"]["namespace"]  # as users write them: the context's namespace applies
    return to_yaml(secret, instance)


def get_mi(site, name):
    return site.custom().get_namespaced_custom_object(ARC_GROUP, MI_VERSION, site.namespace, "sqlmanagedinstances",
                                                      name)


def test_get_sqlmi_shows_arc_printer_columns_from_status(primary, kubectl, unique_name):
    name = unique_name("mi")
    create_with_status(primary, "sqlmanagedinstances", MI_VERSION, sqlmi_body(name, primary.namespace), MI_STATUS)

    result = kubectl(primary, "get", "sqlmi", name)

    headers = result.stdout.splitlines()[0].split()
    assert headers[:4] == ["NAME", "STATUS", "REPLICAS", "PRIMARY-ENDPOINT"] and headers[-1] == "AGE", headers
    row = row_named(parse_tables(result.stdout)[0], name)
    assert (row["STATUS"], row["REPLICAS"], row["PRIMARY-ENDPOINT"]) == ("Ready", "1", "127.10.0.1,31433")
    assert row["RUNNING-VERSION"] == "16.0.5000.1"
    assert re.fullmatch(r"\d+s", row["AGE"]), row["AGE"]


def test_get_fog_shows_arc_printer_columns_from_status(primary, kubectl, unique_name):
    name = unique_name("fog")
    create_with_status(primary, "failovergroups", FOG_VERSION, fog_body(name, primary.namespace), FOG_STATUS)

    result = kubectl(primary, "get", "fog", name)

    assert result.stdout.splitlines()[0].split() == ["NAME", "STATUS", "RESULTS", "AGE"]
    row = row_named(parse_tables(result.stdout)[0], name)
    assert (row["STATUS"], row["RESULTS"]) == ("Succeeded", "partner not reachable")


def test_get_several_kinds_in_all_namespaces(primary, kubectl, unique_name):
    mi_name, fog_name = unique_name("mi"), unique_name("fog")
    create_with_status(primary, "sqlmanagedinstances", MI_VERSION, sqlmi_body(mi_name, primary.namespace),
                       MI_STATUS)
    create_with_status(primary, "failovergroups", FOG_VERSION, fog_body(fog_name, primary.namespace), FOG_STATUS)

    mi_table, fog_table = parse_tables(kubectl(primary, "get", "sqlmi,fog", "-A").stdout)

    mi_row, fog_row = row_named(mi_table, mi_name), row_named(fog_table, fog_name)
    assert mi_row["NAMESPACE"] == fog_row["NAMESPACE"] == primary.namespace
    assert mi_row["NAME"] == f"sqlmanagedinstance.{ARC_GROUP}/{mi_name}"
    assert fog_row["NAME"] == f"failovergroup.{ARC_GROUP}/{fog_name}"
    assert (mi_row["STATUS"], fog_row["STATUS"]) == ("Ready", "Succeeded")


def test_api_resources_lists_the_arc_kinds(primary, kubectl):
    rows = parse_tables(kubectl(primary, "api-resources").stdout)[0]
    by_name = {row["NAME"]: row for row in rows}

    expected = {"sqlmanagedinstances": ("sqlmi", f"{ARC_GROUP}/{MI_VERSION}", "SqlManagedInstance"),
                "failovergroups": ("fog", f"{ARC_GROUP}/{FOG_VERSION}", "FailoverGroup"),
                "datacontrollers": ("arcdc", "arcdata.microsoft.com/v5", "DataController")}
    for plural, (short_name, api_version, kind) in expected.items():
        row = by_name[plural]
        assert (row["SHORTNAMES"], row["APIVERSION"], row["NAMESPACED"], row["KIND"]) == (
            short_name, api_version, "true", kind)


def test_apply_creates_then_is_unchanged_then_configures(primary, kubectl, unique_name):
    name = unique_name("mi")

    created = kubectl(primary, "apply", "-f", "-", input=mi_manifest(name, primary.namespace))
    assert f"secret/{name}-login-secret created" in created.stdout
    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} created" in created.stdout
    first = get_mi(primary, name)

    again = kubectl(primary, "apply", "-f", "-", input=mi_manifest(name, primary.namespace))
    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} unchanged" in again.stdout
    assert get_mi(primary, name)["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

    changed = kubectl(primary, "apply", "-f", "-",
                      input=mi_manifest(name, primary.namespace, licenseType="BasePrice"))
    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} configured" in changed.stdout
    stored = get_mi(primary, name)
    assert stored["spec"]["licenseType"] == "BasePrice"
    assert stored["metadata"]["generation"] == first["metadata"]["generation"] + 1
    secret = primary.core().read_namespaced_secret(f"{name}-login-secret", primary.namespace)
    assert set(secret.data) == {"username", "password"}


def test_apply_with_unknown_field_is_refused_by_strict_server_validation(primary, kubectl, unique_name):
    name = unique_name("mi")
    manifest = to_yaml(sqlmi_body(name, primary.namespace, bogusField=1))
    mark = primary.audit_mark()

    result = kubectl(primary, "apply", "-f", "-", input=manifest, check=False)

    assert result.returncode != 0
    assert "strict decoding error" in result.stderr and 'unknown field "spec.bogusField"' in result.stderr
    # the server refused it (kubectl asked for fieldValidation=Strict), not a client-side check
    refused = [e for e in primary.audit_since(mark) if e["verb"] == "create" and e["resource"] == "sqlmanagedinstances"]
    assert [e["code"] for e in refused] == [400]
    missing = kubectl(primary, "get", "sqlmi", name, check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_patch_merge_and_json(primary, kubectl, unique_name):
    name = unique_name("mi")
    primary.custom().create_namespaced_custom_object(ARC_GROUP, MI_VERSION, primary.namespace,
                                                     "sqlmanagedinstances", sqlmi_body(name, primary.namespace))

    merged = kubectl(primary, "patch", "sqlmi", name, "--type", "merge", "-p", '{"spec":{"licenseType":"BasePrice"}}')
    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} patched" in merged.stdout
    assert get_mi(primary, name)["spec"]["licenseType"] == "BasePrice"

    kubectl(primary, "patch", "sqlmi", name, "--type", "json",
            "-p", '[{"op":"replace","path":"/spec/replicas","value":2},'
                  '{"op":"add","path":"/metadata/labels","value":{"dr":"pair-1"}}]')
    stored = get_mi(primary, name)
    assert stored["spec"]["replicas"] == 2 and stored["metadata"]["labels"] == {"dr": "pair-1"}
    assert stored["metadata"]["generation"] == 3

    failed_test = kubectl(primary, "patch", "sqlmi", name, "--type", "json",
                          "-p", '[{"op":"test","path":"/spec/replicas","value":9}]', check=False)
    assert failed_test.returncode != 0
    assert get_mi(primary, name)["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


def test_get_jsonpath(primary, kubectl, unique_name):
    name = unique_name("mi")
    create_with_status(primary, "sqlmanagedinstances", MI_VERSION, sqlmi_body(name, primary.namespace), MI_STATUS)

    result = kubectl(primary, "get", "sqlmi", name, "-o",
                     "jsonpath={.spec.tier} {.status.state} {.status.endpoints.primary}")

    assert result.stdout == "GeneralPurpose Ready 127.10.0.1,31433"


def test_wait_for_jsonpath_returns_when_status_changes(primary, kubectl, unique_name):
    name = unique_name("mi")
    api = primary.custom()
    api.create_namespaced_custom_object(ARC_GROUP, MI_VERSION, primary.namespace, "sqlmanagedinstances",
                                        sqlmi_body(name, primary.namespace))
    timeout_s = 30

    def become_ready():
        time.sleep(1)
        primary.custom().patch_namespaced_custom_object_status(
            ARC_GROUP, MI_VERSION, primary.namespace, "sqlmanagedinstances", name, {"status": {"state": "Ready"}})

    updater = threading.Thread(target=become_ready)
    started = time.monotonic()
    updater.start()
    try:
        result = kubectl(primary, "wait", f"sqlmi/{name}", "--for=jsonpath={.status.state}=Ready",
                         f"--timeout={timeout_s}s", check=False, timeout=timeout_s + 15)
        elapsed = time.monotonic() - started
    finally:
        updater.join()

    assert result.returncode == 0, result.stderr
    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} condition met" in result.stdout
    assert 0.9 <= elapsed < timeout_s, elapsed


def test_delete_then_get_is_not_found(primary, kubectl, unique_name):
    name = unique_name("mi")
    primary.custom().create_namespaced_custom_object(ARC_GROUP, MI_VERSION, primary.namespace,
                                                     "sqlmanagedinstances", sqlmi_body(name, primary.namespace))

    deleted = kubectl(primary, "delete", "sqlmi", name)
    assert f'sqlmanagedinstance.{ARC_GROUP} "{name}" deleted' in deleted.stdout

    missing = kubectl(primary, "get", "sqlmi", name, check=False)
    assert missing.returncode != 0
    assert f'Error from server (NotFound): sqlmanagedinstances.{ARC_GROUP} "{name}" not found' in missing.stderr


def test_create_server_dry_run_stores_nothing(primary, kubectl, unique_name):
    name = unique_name("mi")
    mark = primary.audit_mark()

    result = kubectl(primary, "create", "--dry-run=server", "-f", "-", input=mi_manifest(name, primary.namespace))

    assert f"sqlmanagedinstance.{ARC_GROUP}/{name} created (server dry run)" in result.stdout
    assert f"secret/{name}-login-secret created (server dry run)" in result.stdout
    creates = [e for e in primary.audit_since(mark) if e["verb"] == "create"]
    assert sorted((e["resource"], e["code"], e["dry_run"]) for e in creates) == [
        ("secrets", 201, True), ("sqlmanagedinstances", 201, True)]
    for kind_name in (f"sqlmi/{name}", f"secret/{name}-login-secret"):
        missing = kubectl(primary, "get", kind_name, check=False)
        assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_create_generators_send_protobuf_and_work(primary, kubectl, unique_name):
    # `kubectl create namespace|secret|configmap` go through client-go's typed clients, which send the
    # built-in kinds as application/vnd.kubernetes.protobuf, not JSON
    namespace, secret, configmap = unique_name("ns"), unique_name("login"), unique_name("cm")

    kubectl(primary, "create", "namespace", namespace)
    kubectl(primary, "create", "secret", "generic", secret, "-n", namespace, "--type=kubernetes.io/basic-auth",
            "--from-literal=username=admin", "--from-literal=password=p@ss:w0rd")
    kubectl(primary, "create", "configmap", configmap, "-n", namespace, "--from-literal=site=primary")

    assert primary.core().read_namespace(namespace).status.phase == "Active"
    stored = primary.core().read_namespaced_secret(secret, namespace)
    assert stored.type == "kubernetes.io/basic-auth"
    assert {k: base64.b64decode(v).decode() for k, v in stored.data.items()} == {
        "username": "admin", "password": "p@ss:w0rd"}
    assert primary.core().read_namespaced_config_map(configmap, namespace).data == {"site": "primary"}
