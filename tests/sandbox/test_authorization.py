"""Who may do what on a site's API: the admin everything; the collection's token what the shipped operator Role
grants (extensions/rbac/arcdata-sqlmi-role.yml); the read-only token what the viewer Role grants. A refused
request is a 403 with the message, reason and details a real API server gives, is audited with its user, and
stores nothing; a dry run needs the same permission as the write."""
import os
import shutil
import stat

import pytest
import yaml
from kubernetes import client, watch

from sandbox.apiserver.authentication import ADMIN, service_account
from sandbox.apiserver.authorization import BINDINGS_FILE, ROLES_FILE, Authorizer, load_objects
from sandbox.apiserver.requestinfo import parse

from .client_support import FOG, GROUP, MERGE_PATCH, SQLMI, api_error, assert_status, raw_request
from .conftest import fog_body, sqlmi_body

OPERATOR = "system:serviceaccount:arc:arcdata-sqlmi-operator"
VIEWER = "system:serviceaccount:arc:arcdata-sqlmi-viewer"
DC = ("arcdata.microsoft.com", "v5", "datacontrollers")
IN_ARC = 'in the namespace "arc"'


def _forbidden(user, verb, resource, group=GROUP, name="", where=IN_ARC, qualified=None):
    """The Status.message of a real API server's RBAC refusal."""
    plural = resource.split("/")[0]
    subject = qualified or (f"{plural}.{group}" if group else plural)
    if name:
        subject += f' "{name}"'
    return f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {where}'


def _assert_forbidden(call, message, *args, **kwargs):
    error, status = api_error(call, *args, **kwargs)
    assert error.status == 403, (error.status, status)
    assert_status(status, 403, "Forbidden")
    assert status["message"] == message
    return status


def _lease(name):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name},
            "spec": {"holderIdentity": "test", "leaseDurationSeconds": 60}}


def _event(name, namespace):
    involved = {"kind": "FailoverGroup", "name": name, "namespace": namespace}
    return {"metadata": {"generateName": f"{name}.", "namespace": namespace}, "reason": "Handover",
            "message": "test", "type": "Normal", "involvedObject": involved}


def _watch_once(list_call, *args, **kwargs):
    """A watch that ends at once (the server's timeout): how a wait of the collection starts."""
    return list(watch.Watch().stream(list_call, *args, timeout_seconds=1, **kwargs))


# -- the operator: everything the collection does ---------------------------------------------------------------
def test_the_operator_may_do_what_the_collection_does(primary, unique_name):
    ns, name = primary.namespace, unique_name("op")
    custom, core = primary.custom("operator"), primary.core("operator")
    leases = client.CoordinationV1Api(primary.api_client("operator"))
    mark = primary.audit_mark()

    assert custom.list_namespaced_custom_object(*DC[:2], ns, DC[2])["items"]  # the data controller check
    custom.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns), dry_run="All")
    custom.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    custom.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name)
    custom.list_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2])
    _watch_once(custom.list_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], field_selector=f"metadata.name={name}")
    custom.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name, {"spec": {"replicas": 2}},
                                          _content_type=MERGE_PATCH)
    custom.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns))
    custom.patch_namespaced_custom_object(*FOG[:2], ns, FOG[2], name, {"metadata": {"annotations": {"a": "b"}}},
                                          _content_type=MERGE_PATCH)
    core.create_namespaced_event(ns, _event(name, ns))
    secret_body = {"metadata": {"name": f"{name}-login-secret"}, "stringData": {"username": "dbadmin"}}
    core.create_namespaced_secret(ns, secret_body)
    core.read_namespaced_secret(f"{name}-login-secret", ns)
    core.patch_namespaced_secret(f"{name}-login-secret", ns, {"stringData": {"password": "x"}})
    created = leases.create_namespaced_lease(ns, _lease(name))
    leases.replace_namespaced_lease(name, ns, created)
    leases.read_namespaced_lease(name, ns)
    core.delete_namespaced_secret(f"{name}-login-secret", ns)
    custom.delete_namespaced_custom_object(*FOG[:2], ns, FOG[2], name)
    custom.delete_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name)

    entries = primary.audit_since(mark)
    assert {e["user"] for e in entries} == {OPERATOR}
    assert [e for e in entries if e["code"] >= 400] == []
    assert {(e["verb"], e["resource"]) for e in entries} >= {
        ("create", "sqlmanagedinstances"), ("watch", "sqlmanagedinstances"), ("patch", "failovergroups"),
        ("create", "events"), ("update", "leases"), ("delete", "secrets"), ("list", "datacontrollers")}
    client.CoordinationV1Api(primary.api_client()).delete_namespaced_lease(name, ns)  # the collection never does


OPERATOR_DENIED = [
    # (what, verb, resource, group, call(custom, core, ns, name), qualified subject, name in message, where)
    ("list the namespace's Secrets", "list", "secrets", "",
     lambda custom, core, ns, name: core.list_namespaced_secret(ns), None, "", IN_ARC),
    ("watch Secrets", "watch", "secrets", "",
     lambda custom, core, ns, name: _watch_once(core.list_namespaced_secret, ns), None, "", IN_ARC),
    ("replace (PUT) an instance", "update", "sqlmanagedinstances", GROUP,
     lambda custom, core, ns, name: custom.replace_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name,
                                                                            sqlmi_body(name, ns)),
     None, "NAME", IN_ARC),
    ("write an instance's status", "patch", "sqlmanagedinstances/status", GROUP,
     lambda custom, core, ns, name: custom.patch_namespaced_custom_object_status(
         *SQLMI[:2], ns, SQLMI[2], name, {"status": {"state": "Ready"}}), None, "NAME", IN_ARC),
    ("delete every instance at once", "deletecollection", "sqlmanagedinstances", GROUP,
     lambda custom, core, ns, name: custom.delete_collection_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2]),
     None, "", IN_ARC),
    ("delete an Event", "delete", "events", "",
     lambda custom, core, ns, name: core.delete_namespaced_event(name, ns), None, "NAME", IN_ARC),
    ("delete the DR lock", "delete", "leases", "coordination.k8s.io",
     lambda custom, core, ns, name: client.CoordinationV1Api(core.api_client).delete_namespaced_lease(name, ns),
     None, "NAME", IN_ARC),
    ("list Pods", "list", "pods", "",
     lambda custom, core, ns, name: core.list_namespaced_pod(ns), None, "", IN_ARC),
    ("change the data controller", "patch", "datacontrollers", "arcdata.microsoft.com",
     lambda custom, core, ns, name: custom.patch_namespaced_custom_object(*DC[:2], ns, DC[2], "arc-dc", {}),
     None, "arc-dc", IN_ARC),
    ("list the Namespaces", "list", "namespaces", "",
     lambda custom, core, ns, name: core.list_namespace(), None, "", "at the cluster scope"),
    ("create in another namespace", "create", "sqlmanagedinstances", GROUP,
     lambda custom, core, ns, name: custom.create_namespaced_custom_object(*SQLMI[:2], "default", SQLMI[2],
                                                                           sqlmi_body(name, "default")),
     None, "", 'in the namespace "default"'),
    ("list instances in every namespace", "list", "sqlmanagedinstances", GROUP,
     lambda custom, core, ns, name: custom.list_cluster_custom_object(*SQLMI), None, "", "at the cluster scope"),
]


@pytest.mark.parametrize("what, verb, resource, group, call, qualified, name, where", OPERATOR_DENIED,
                         ids=[d[0] for d in OPERATOR_DENIED])
def test_the_operator_may_not_go_beyond_its_role(primary, unique_name, what, verb, resource, group, call,
                                                 qualified, name, where):
    ns, object_name = primary.namespace, unique_name("deny")
    name = object_name if name == "NAME" else name
    status = _assert_forbidden(call, _forbidden(OPERATOR, verb, resource, group, name, where, qualified),
                               primary.custom("operator"), primary.core("operator"), ns, object_name)
    expected_details = {k: v for k, v in (("name", name), ("group", group), ("kind", resource.split("/")[0])) if v}
    assert status["details"] == expected_details


# -- the viewer: reads, and every write refused ------------------------------------------------------------------
@pytest.fixture
def stored_pair(primary, unique_name):
    """An instance and a FailoverGroup created by the admin (what a viewer would look at)."""
    ns, name = primary.namespace, unique_name("view")
    custom = primary.custom()
    instance = custom.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    dag = custom.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns))
    yield instance, dag
    custom.delete_namespaced_custom_object(*FOG[:2], ns, FOG[2], name)
    custom.delete_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name)


def test_the_viewer_reads_instances_and_dags(primary, stored_pair):
    ns = primary.namespace
    custom = primary.custom("viewer")
    instance, dag = stored_pair
    for kind, obj in ((SQLMI, instance), (FOG, dag)):
        name = obj["metadata"]["name"]
        assert custom.get_namespaced_custom_object(*kind[:2], ns, kind[2], name)["metadata"]["uid"] == \
            obj["metadata"]["uid"]
        listed = custom.list_namespaced_custom_object(*kind[:2], ns, kind[2])["items"]
        assert name in [i["metadata"]["name"] for i in listed]
        events = _watch_once(custom.list_namespaced_custom_object, *kind[:2], ns, kind[2],
                             field_selector=f"metadata.name={name}")
        assert [e["raw_object"]["metadata"]["name"] for e in events] == [name]


def test_a_viewer_patching_a_failover_group_gets_the_real_forbidden_status(primary, stored_pair):
    ns, dag = primary.namespace, stored_pair[1]
    name = dag["metadata"]["name"]
    status = _assert_forbidden(
        primary.custom("viewer").patch_namespaced_custom_object,
        f'failovergroups.sql.arcdata.microsoft.com "{name}" is forbidden: User '
        f'"system:serviceaccount:arc:arcdata-sqlmi-viewer" cannot patch resource "failovergroups" in API group '
        f'"sql.arcdata.microsoft.com" in the namespace "arc"',
        *FOG[:2], ns, FOG[2], name, {"spec": {"role": "secondary"}}, _content_type=MERGE_PATCH)
    assert status["details"] == {"name": name, "group": GROUP, "kind": "failovergroups"}
    stored = primary.custom().get_namespaced_custom_object(*FOG[:2], ns, FOG[2], name)
    assert stored["metadata"]["resourceVersion"] == dag["metadata"]["resourceVersion"]
    assert stored["spec"]["role"] == "primary"


VIEWER_WRITES = [
    # (what, verb, resource, group, call(custom, core, leases, ns, name), name in message)
    ("create an instance", "create", "sqlmanagedinstances", GROUP,
     lambda c, core, leases, ns, name: c.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2],
                                                                         sqlmi_body(f"{name}-new", ns)), ""),
    ("patch an instance", "patch", "sqlmanagedinstances", GROUP,
     lambda c, core, leases, ns, name: c.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name,
                                                                        {"spec": {"replicas": 3}},
                                                                        _content_type=MERGE_PATCH), "NAME"),
    ("delete an instance", "delete", "sqlmanagedinstances", GROUP,
     lambda c, core, leases, ns, name: c.delete_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name), "NAME"),
    ("create a failover group", "create", "failovergroups", GROUP,
     lambda c, core, leases, ns, name: c.create_namespaced_custom_object(*FOG[:2], ns, FOG[2],
                                                                         fog_body(f"{name}-new", ns)), ""),
    ("delete a failover group", "delete", "failovergroups", GROUP,
     lambda c, core, leases, ns, name: c.delete_namespaced_custom_object(*FOG[:2], ns, FOG[2], name), "NAME"),
    ("read the admin login Secret", "get", "secrets", "",
     lambda c, core, leases, ns, name: core.read_namespaced_secret(f"{name}-login-secret", ns),
     "NAME-login-secret"),
    ("create a Secret", "create", "secrets", "",
     lambda c, core, leases, ns, name: core.create_namespaced_secret(ns, {"metadata": {"name": name}}), ""),
    ("record an Event", "create", "events", "",
     lambda c, core, leases, ns, name: core.create_namespaced_event(ns, _event(name, ns)), ""),
    ("take the DR lock", "create", "leases", "coordination.k8s.io",
     lambda c, core, leases, ns, name: leases.create_namespaced_lease(ns, _lease(name)), ""),
    ("renew the DR lock", "update", "leases", "coordination.k8s.io",
     lambda c, core, leases, ns, name: leases.replace_namespaced_lease(name, ns, _lease(name)), "NAME"),
]


@pytest.mark.parametrize("what, verb, resource, group, call, name", VIEWER_WRITES, ids=[w[0] for w in VIEWER_WRITES])
def test_every_write_of_the_viewer_is_forbidden_and_stores_nothing(primary, stored_pair, what, verb, resource,
                                                                   group, call, name):
    ns, object_name = primary.namespace, stored_pair[0]["metadata"]["name"]
    before = primary.custom().list_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2])["metadata"]["resourceVersion"]
    mark = primary.audit_mark()
    _assert_forbidden(call, _forbidden(VIEWER, verb, resource, group, name.replace("NAME", object_name)),
                      primary.custom("viewer"), primary.core("viewer"),
                      client.CoordinationV1Api(primary.api_client("viewer")), ns, object_name)
    after = primary.custom().list_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2])["metadata"]["resourceVersion"]
    assert after == before  # the site's resourceVersion did not move: nothing was stored anywhere
    assert [(e["user"], e["verb"], e["resource"], e["code"]) for e in primary.audit_since(mark)] == [
        (VIEWER, verb, resource, 403), ("kubernetes-admin", "list", "sqlmanagedinstances", 200)]


# -- the admin, unknown tokens, dry runs, discovery ---------------------------------------------------------------
def test_the_admin_may_do_everything(primary, stored_pair):
    ns, name = primary.namespace, stored_pair[0]["metadata"]["name"]
    custom, core = primary.custom(), primary.core()
    mark = primary.audit_mark()
    custom.patch_namespaced_custom_object_status(*SQLMI[:2], ns, SQLMI[2], name, {"status": {"state": "Ready"}},
                                                 _content_type=MERGE_PATCH)
    core.list_namespaced_secret(ns)
    core.list_namespace()
    custom.list_cluster_custom_object(*SQLMI)
    assert [(e["user"], e["code"]) for e in primary.audit_since(mark)] == [("kubernetes-admin", 200)] * 4


def test_an_unknown_token_is_401_and_audited_without_a_user(primary):
    configuration = client.Configuration(host=primary.api_url)
    configuration.ssl_ca_cert = str(primary.files.ca_cert)
    configuration.api_key = {"BearerToken": "Bearer not-a-token-of-this-site"}
    mark = primary.audit_mark()
    error, status = api_error(client.CustomObjectsApi(client.ApiClient(configuration)).list_namespaced_custom_object,
                              *SQLMI[:2], primary.namespace, SQLMI[2])
    assert error.status == 401
    assert_status(status, 401, "Unauthorized")
    assert [(e["user"], e["code"]) for e in primary.audit_since(mark)] == [("", 401)]


def test_a_dry_run_needs_the_permission_of_the_write(primary, unique_name):
    ns, name = primary.namespace, unique_name("dry")
    _assert_forbidden(primary.custom("viewer").create_namespaced_custom_object,
                      _forbidden(VIEWER, "create", "sqlmanagedinstances"),
                      *SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns), dry_run="All")
    answer = primary.custom("operator").create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2],
                                                                        sqlmi_body(name, ns), dry_run="All")
    assert answer["metadata"]["name"] == name
    error, dummy = api_error(primary.custom().get_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name)
    assert error.status == 404  # neither dry run stored anything
    dry_runs = [(e["user"], e["code"], e["dry_run"]) for e in primary.audit()[-3:-1]]
    assert dry_runs == [(VIEWER, 403, True), (OPERATOR, 201, True)]


@pytest.mark.parametrize("path", ["/api", "/api/v1", "/apis", f"/apis/{GROUP}/v2", "/version", "/openapi/v3",
                                  "/readyz"])
def test_discovery_and_health_are_open_to_every_authenticated_user(primary, path):
    code = raw_request(primary.api_client("viewer"), "GET", path)[0]
    assert code == 200


def test_other_paths_are_forbidden_to_a_service_account(primary):
    code, body, unused = raw_request(primary.api_client("viewer"), "GET", "/metrics")
    assert code == 403
    assert body["message"] == f'forbidden: User "{VIEWER}" cannot get path "/metrics"'


def test_kubectl_shows_the_refusal(primary, unique_name):
    name = unique_name("kubectl")
    result = primary.kubectl("--context", primary.contexts["viewer"], "delete", "sqlmanagedinstances", name,
                             check=False)
    assert result.returncode != 0
    assert f'Error from server (Forbidden): {_forbidden(VIEWER, "delete", "sqlmanagedinstances", name=name)}' \
        in result.stderr


# -- the credentials as the sandbox writes them ---------------------------------------------------------------
def test_each_credential_has_a_private_token_and_a_context(primary):
    config = yaml.safe_load(open(primary.kubeconfig, encoding="utf-8"))
    assert config["current-context"] == primary.context == "arc-primary"
    assert primary.contexts == {"admin": "arc-primary", "operator": "arc-primary-operator",
                                "viewer": "arc-primary-viewer"}
    assert sorted(c["name"] for c in config["contexts"]) == sorted(primary.contexts.values())
    tokens = {credential: primary.credential_token(credential) for credential in primary.contexts}
    assert len(set(tokens.values())) == 3
    for credential in tokens:
        assert stat.S_IMODE(os.stat(primary.files.token_of(credential)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(primary.kubeconfig).st_mode) == 0o600


# -- the rules: evaluated as Kubernetes does, from the shipped files -----------------------------------------------
def _request(method, path, query=None):
    return parse(method, path, query or {})


def _allowed(authorizer, user, method, path, query=None):
    try:
        authorizer.authorize(user, _request(method, path, query), query or {})
    except Exception as error:  # pylint: disable=broad-except
        assert getattr(error, "code", None) == 403, error
        return False
    return True


def _roles_file(tmp_path, rules, name="arcdata-sqlmi-operator"):
    path = tmp_path / "roles.yml"
    path.write_text(yaml.safe_dump({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                    "metadata": {"name": name}, "rules": rules}))
    return path


SQLMI_PATH = f"/apis/{GROUP}/v13/namespaces/arc/sqlmanagedinstances"
OPERATOR_USER = service_account("arc", "arcdata-sqlmi-operator")


def test_wildcards_and_subresources_match_as_in_kubernetes(tmp_path):
    rules = [{"apiGroups": [GROUP], "resources": ["*/status"], "verbs": ["patch"]},
             {"apiGroups": ["*"], "resources": ["failovergroups"], "verbs": ["*"]}]
    authorizer = Authorizer.from_files("arc", _roles_file(tmp_path, rules), BINDINGS_FILE)
    assert _allowed(authorizer, OPERATOR_USER, "PATCH", f"{SQLMI_PATH}/x/status")
    assert not _allowed(authorizer, OPERATOR_USER, "PATCH", f"{SQLMI_PATH}/x")
    assert _allowed(authorizer, OPERATOR_USER, "DELETE", f"/apis/{GROUP}/v2/namespaces/arc/failovergroups")
    # a rule for a resource does not cover its subresources
    assert not _allowed(authorizer, OPERATOR_USER, "GET", f"/apis/{GROUP}/v2/namespaces/arc/failovergroups/x/status")


def test_resource_names_limit_a_rule_also_for_a_watch_of_one_name(tmp_path):
    rules = [{"apiGroups": [GROUP], "resources": ["sqlmanagedinstances"], "verbs": ["get", "watch"],
              "resourceNames": ["sql1"]}]
    authorizer = Authorizer.from_files("arc", _roles_file(tmp_path, rules), BINDINGS_FILE)
    assert _allowed(authorizer, OPERATOR_USER, "GET", f"{SQLMI_PATH}/sql1")
    assert not _allowed(authorizer, OPERATOR_USER, "GET", f"{SQLMI_PATH}/sql2")
    assert _allowed(authorizer, OPERATOR_USER, "GET", SQLMI_PATH, {"watch": "true", "fieldSelector": "metadata.name=sql1"})
    assert not _allowed(authorizer, OPERATOR_USER, "GET", SQLMI_PATH, {"watch": "true"})


def test_a_role_grants_only_to_its_subjects_and_only_in_its_namespace(tmp_path):
    rules = [{"apiGroups": [GROUP], "resources": ["sqlmanagedinstances"], "verbs": ["get"]}]
    authorizer = Authorizer.from_files("arc", _roles_file(tmp_path, rules), BINDINGS_FILE)
    assert _allowed(authorizer, OPERATOR_USER, "GET", f"{SQLMI_PATH}/x")
    assert not _allowed(authorizer, OPERATOR_USER, "GET", f"/apis/{GROUP}/v13/namespaces/other/sqlmanagedinstances/x")
    assert not _allowed(authorizer, service_account("other", "arcdata-sqlmi-operator"), "GET", f"{SQLMI_PATH}/x")
    assert _allowed(authorizer, ADMIN, "DELETE", f"/apis/{GROUP}/v13/namespaces/other/sqlmanagedinstances/x")


def test_the_server_enforces_the_shipped_file_itself(tmp_path):
    """The same request, with the shipped Role and with a copy missing one verb: the file decides."""
    shipped = Authorizer.from_files("arc")
    assert _allowed(shipped, OPERATOR_USER, "PATCH", f"{SQLMI_PATH}/x")
    copy = tmp_path / "arcdata-sqlmi-role.yml"
    shutil.copy(ROLES_FILE, copy)
    manifest = yaml.safe_load(copy.read_text())
    for rule in manifest["items"][0]["rules"]:
        if "sqlmanagedinstances" in rule["resources"]:
            rule["verbs"].remove("patch")
    copy.write_text(yaml.safe_dump(manifest))
    assert not _allowed(Authorizer.from_files("arc", copy), OPERATOR_USER, "PATCH", f"{SQLMI_PATH}/x")


def test_the_shipped_roles_keep_secrets_and_status_out_of_reach():
    """What the Role must never grant, whatever is added to it: Secrets to enumerate, status to write, wildcards,
    anything to the viewer but reads of the Arc kinds."""
    roles = {d["metadata"]["name"]: d["rules"] for d in load_objects(ROLES_FILE, "Role")}
    assert set(roles) == {"arcdata-sqlmi-operator", "arcdata-sqlmi-viewer"}
    for name, rules in roles.items():
        for rule in rules:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], (name, rule)
            assert not any("/" in resource for resource in rule["resources"]), (name, rule)
            if "secrets" in rule["resources"]:
                assert not {"list", "watch"} & set(rule["verbs"]), rule
    assert all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in roles["arcdata-sqlmi-viewer"])


def _permissions(rules, verbs=None):
    return {(group, resource, verb) for rule in rules for group in rule["apiGroups"] for resource in rule["resources"]
            for verb in rule["verbs"] if verbs is None or verb in verbs}


def test_the_viewer_may_read_what_the_operator_reads_except_secrets():
    roles = {d["metadata"]["name"]: d["rules"] for d in load_objects(ROLES_FILE, "Role")}
    operator_reads = _permissions(roles["arcdata-sqlmi-operator"], {"get", "list", "watch"})
    assert _permissions(roles["arcdata-sqlmi-viewer"]) == {p for p in operator_reads if p[1] != "secrets"}
