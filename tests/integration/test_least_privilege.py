"""Least privilege (issue 6): the collection does all its work with the namespaced Role it ships
(extensions/rbac/arcdata-sqlmi-role.yml), which each sandbox site enforces for the collection's token; with the
read-only viewer Role, dr_status works and every write fails at once, with a message that says it is a permission
problem, names the verb, resource, namespace and site, and points at the Role, while the sites store nothing."""
import pytest

from sandbox.apiserver.authorization import ROLES_FILE, load_objects

from .conftest import ARC_GROUP, HOSTS, Ansible, collection_requests
from .dr_playbooks import PlaybookPairs, audit_marks, collection_since, failed_messages, roles

OPERATOR = "system:serviceaccount:arc:arcdata-sqlmi-operator"
VIEWER = "system:serviceaccount:arc:arcdata-sqlmi-viewer"
ROLE_HINT = "extensions/rbac/arcdata-sqlmi-role.yml"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
PARTNER = {"primary": "secondary", "secondary": "primary"}


def _granted(role):
    """{(apiGroup, resource, verb)} a shipped Role grants."""
    rules = next(d["rules"] for d in load_objects(ROLES_FILE, "Role") if d["metadata"]["name"] == role)
    return {(group, resource, verb) for rule in rules for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


def _permission(entry):
    return entry["apiGroup"], entry["resource"], entry["verb"]


def _is_discovery(entry):
    return not entry["resource"]  # /api, /apis, /apis/<group>/<version>: open to every authenticated user


@pytest.fixture(scope="module")
def operator_pair(arc_sites, tmp_path_factory):
    """One pair set up by dr_setup through the sandbox's generated inventory's connection (the operator context),
    with the collection's requests of that run."""
    workdir = tmp_path_factory.mktemp("least-privilege")
    made = PlaybookPairs(arc_sites, workdir)
    pair = made.new("lp")
    inventory = made.inventory(pair)
    marks = audit_marks(arc_sites)
    run = Ansible(arc_sites, workdir).run("arcdata.sqlmi.dr_setup", inventory=inventory)
    assert run.rc == 0, run
    yield {"pair": pair, "inventory": inventory, "made": made, "setup": collection_since(arc_sites, marks)}
    made.remove_all()


def _viewer_inventory(operator_pair, arc_sites):
    """The same pair, every host connecting with the site's read-only context."""
    pair, made = operator_pair["pair"], operator_pair["made"]
    for site in HOSTS:
        pair.host_vars[site]["arc_context"] = arc_sites.site(site).contexts["viewer"]
    try:
        return made.inventory(pair)
    finally:
        for site in HOSTS:
            del pair.host_vars[site]["arc_context"]


def _assert_only_granted(requests_by_site, user, role):
    """Every request was made as `user`, none was refused, and each needed a permission `role` grants."""
    granted = _granted(role)
    for site, requests in requests_by_site.items():
        assert requests, f"no request of the collection on {site}"
        assert {r["user"] for r in requests} == {user}, site
        assert [r for r in requests if r["code"] in (401, 403)] == [], site
        beyond = {_permission(r) for r in requests if not _is_discovery(r)} - granted
        assert beyond == set(), (site, beyond)


def test_the_generated_inventory_connects_with_the_operator_context(arc_sites, operator_pair):
    for site in HOSTS:
        assert operator_pair["pair"].connection[site]["arc_context"] == arc_sites.site(site).contexts["operator"]


def test_dr_setup_and_planned_failover_need_nothing_beyond_the_operator_role(ansible, arc_sites, operator_pair):
    pair, inventory = operator_pair["pair"], operator_pair["inventory"]
    _assert_only_granted(operator_pair["setup"], OPERATOR, "arcdata-sqlmi-operator")
    before = roles(arc_sites, pair)
    primary = next(site for site, role in before.items() if role == "Primary")
    marks = audit_marks(arc_sites)
    run = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory)
    assert run.rc == 0, run
    assert roles(arc_sites, pair) == {primary: "Secondary", PARTNER[primary]: "Primary"}
    requests = collection_since(arc_sites, marks)
    _assert_only_granted(requests, OPERATOR, "arcdata-sqlmi-operator")
    writes = {_permission(r) for site in HOSTS for r in requests[site] if r["verb"] in WRITE_VERBS}
    assert {(ARC_GROUP, "failovergroups", "patch"), ("", "events", "create")} <= writes, writes


def test_dr_status_works_with_the_read_only_role(ansible, arc_sites, operator_pair, tmp_path):
    marks = audit_marks(arc_sites)
    run = ansible.run("arcdata.sqlmi.dr_status", inventory=_viewer_inventory(operator_pair, arc_sites),
                      env={"ARC_DR_REPORT_DIR": str(tmp_path)})
    assert run.rc == 0, run
    summary = run.result("Summarise the pair", "primary")["ansible_facts"]["dr_status_summary"]
    assert len(summary["primaries"]) == 1 and summary["problems"] == [], summary
    requests = collection_since(arc_sites, marks)
    _assert_only_granted(requests, VIEWER, "arcdata-sqlmi-viewer")
    assert [r for site in HOSTS for r in requests[site] if r["verb"] in WRITE_VERBS] == []


def _current_primary(arc_sites, pair):
    return next(site for site, role in roles(arc_sites, pair).items() if role == "Primary")


def _partner_certificate(arc_sites, pair, site, tmp_path):
    handle = arc_sites.site(PARTNER[site])
    instance = handle.custom().get_namespaced_custom_object(ARC_GROUP, "v13", handle.namespace,
                                                            "sqlmanagedinstances", pair.instances[PARTNER[site]])
    path = tmp_path / "partner.pem"
    path.write_text(instance["status"]["highAvailability"]["mirroringCertificate"])
    return str(path)


# Each write module as a viewer would run it on the pair's current primary site: (case, module, its arguments,
# check mode, the permission the 403 names: verb, resource, API group, and the object's name if the request has one)
VIEWER_WRITES = [
    ("arc_sqlmi creates an instance (its admin login Secret is read first)", "arc_sqlmi",
     lambda ctx: {"name": f"sqlnew-{ctx['pair'].tag}", "tier": "bc", "replicas": 3, "admin_username": "dbadmin",
                  "admin_password": ctx["pair"].admin_password},
     False, ("get", "secrets", "", lambda ctx: f"sqlnew-{ctx['pair'].tag}-login-secret")),
    ("arc_sqlmi deletes an instance", "arc_sqlmi",
     lambda ctx: {"name": ctx["instance"], "state": "absent"}, False,
     ("delete", "sqlmanagedinstances", ARC_GROUP, lambda ctx: ctx["instance"])),
    ("arc_sqlmi deletes an instance in check mode (a dry run)", "arc_sqlmi",
     lambda ctx: {"name": ctx["instance"], "state": "absent"}, True,
     ("delete", "sqlmanagedinstances", ARC_GROUP, lambda ctx: ctx["instance"])),
    ("arc_dag creates a DAG resource", "arc_dag",
     lambda ctx: {"name": f"dagnew-{ctx['pair'].tag}", "dag_name": f"dagnew-{ctx['pair'].tag}",
                  "local_instance": ctx["instance"], "remote_instance": ctx["pair"].instances[PARTNER[ctx["site"]]],
                  "remote_mirroring_url": "tcp://127.20.0.1:5022", "remote_mirroring_cert_file": ctx["cert"],
                  "role": "primary"},
     False, ("create", "failovergroups", ARC_GROUP, lambda ctx: "")),
    ("arc_dag hands the primary role over", "arc_dag",
     lambda ctx: {"name": ctx["dag"], "role": "secondary"}, False,
     ("patch", "failovergroups", ARC_GROUP, lambda ctx: ctx["dag"])),
    ("arc_dag deletes a DAG resource", "arc_dag",
     lambda ctx: {"name": ctx["dag"], "state": "absent"}, False,
     ("delete", "failovergroups", ARC_GROUP, lambda ctx: ctx["dag"])),
    ("arc_handover records a handover", "arc_handover",
     lambda ctx: {"name": ctx["dag"], "mode": "planned", "from_site": "primary", "to_site": "secondary",
                  "outcome": "succeeded"},
     False, ("patch", "failovergroups", ARC_GROUP, lambda ctx: ctx["dag"])),
]


def _forbidden(verb, resource, group, name, namespace):
    """The Status.message of the site's refusal, as a real API server words it."""
    subject = f"{resource}.{group}" if group else resource
    if name:
        subject += f' "{name}"'
    return (f'{subject} is forbidden: User "{VIEWER}" cannot {verb} resource "{resource}" in API group "{group}" '
            f'in the namespace "{namespace}"')


def _stored(arc_sites):
    """What both sites hold, as the admin sees it: the names of the instances, DAG resources and Secrets, and
    each DAG resource's spec and annotations."""
    found = {}
    for site in HOSTS:
        handle = arc_sites.site(site)
        custom = handle.custom()
        instances = custom.list_namespaced_custom_object(ARC_GROUP, "v13", handle.namespace, "sqlmanagedinstances")
        dags = custom.list_namespaced_custom_object(ARC_GROUP, "v2", handle.namespace, "failovergroups")
        secrets = handle.core().list_namespaced_secret(handle.namespace).items
        found[site] = {"instances": sorted(i["metadata"]["name"] for i in instances["items"]),
                       "dags": sorted((d["metadata"]["name"], repr(d["spec"]), repr(d["metadata"].get("annotations")))
                                      for d in dags["items"]),
                       "secrets": sorted(s.metadata.name for s in secrets)}
    return found


@pytest.mark.parametrize("case, module, arguments, check, permission", VIEWER_WRITES, ids=[w[0] for w in VIEWER_WRITES])
def test_every_write_with_the_read_only_role_fails_naming_the_missing_permission(
        ansible, arc_sites, operator_pair, tmp_path, case, module, arguments, check, permission):
    pair = operator_pair["pair"]
    site = _current_primary(arc_sites, pair)
    context = {"pair": pair, "site": site, "instance": pair.instances[site], "dag": pair.dags[site],
               "cert": _partner_certificate(arc_sites, pair, site, tmp_path)}
    task = {"name": case, f"arcdata.sqlmi.{module}": arguments(context)}
    before = _stored(arc_sites)
    marks = audit_marks(arc_sites)
    run = ansible.run(ansible.play([task], hosts=site), inventory=_viewer_inventory(operator_pair, arc_sites),
                      check=check)
    assert run.rc != 0, run
    message = failed_messages(run)
    verb, resource, group, name = permission
    handle = arc_sites.site(site)
    # the site, the verb and the object as the module names them, the API's own refusal, and where the Role is
    for expected in (f"context {handle.contexts['viewer']} ({handle.api_url}): {verb} ", "failed: HTTP 403 Forbidden: "
                     "the credentials used for this site lack permission: "
                     + _forbidden(verb, resource, group, name(context), handle.namespace), ROLE_HINT):
        assert expected in message, (expected, message)

    requests = collection_since(arc_sites, marks)
    assert {r["user"] for s in HOSTS for r in requests[s]} == {VIEWER}
    refused = [(r["verb"], r["resource"], r["code"]) for s in HOSTS for r in requests[s] if r["code"] == 403]
    assert len(refused) == 1 and refused[0][:2] == (verb, resource), refused
    assert [r for s in HOSTS for r in requests[s] if r["verb"] in WRITE_VERBS and r["code"] != 403] == []
    assert _stored(arc_sites) == before


def test_a_planned_failover_with_the_read_only_role_changes_nothing(ansible, arc_sites, operator_pair):
    pair = operator_pair["pair"]
    before_roles, before = roles(arc_sites, pair), _stored(arc_sites)
    marks = audit_marks(arc_sites)
    run = ansible.run("arcdata.sqlmi.failover_planned", inventory=_viewer_inventory(operator_pair, arc_sites))
    assert run.rc != 0, run
    message = failed_messages(run)
    assert "lack permission" in message and f'User "{VIEWER}" cannot' in message and ROLE_HINT in message, message
    assert roles(arc_sites, pair) == before_roles
    assert _stored(arc_sites) == before
    writes = [r for s in HOSTS for r in collection_requests(arc_sites.site(s).audit_since(marks[s]))
              if r["verb"] in WRITE_VERBS]
    assert writes and {r["code"] for r in writes} == {403}, writes
