"""The AWX content of extensions/awx (issue 8, item 2), without an AWX: configure_awx.yml runs against a stand-in
that checks every awx.awx task against that module's own argument spec (from the awx.awx collection of the ansible
package, build/vendor-collections), the credential type and the surveys pass the checks AWX makes before storing
them, and the DR playbooks run as AWX jobs on the sandbox: extra vars from the surveys, the credential's kubeconfig
files and extra vars injected as AWX's injectors would, AWX's job variables, the inventory as configure_awx.yml
made it, and `--check` for the Check job type (awx_emulation.py)."""
import json
from pathlib import Path

import pytest
import yaml

from sandbox.layout import REPO_ROOT

from .awx_emulation import (AZURE_CREDENTIAL_INPUTS, AZURE_CREDENTIAL_TYPE, CONFIGURE, PROJECT_DIR, Awx,
                            LaunchRefused, configure, credential_type_errors, load_vars, survey_errors, survey_extra_vars, template_variables)
from .conftest import HOSTS
from .dr_playbooks import (PlaybookPairs, audit_marks, collection_since, collection_writes_since, connected,
                           dag_object, failed_messages, instance_object, roles)

PLAYBOOKS = ("dr_setup", "failover_planned", "failover_forced", "dr_rejoin", "dr_status")
OPERATOR = "system:serviceaccount:arc:arcdata-sqlmi-operator"
NO_WRITES = {"primary": [], "secondary": []}
SECRET_MARK = "kubeconfig-secret-that-must-not-be-shown"
# Ansible's own variables an inventory value may use besides what the credential injects
MAGIC_VARIABLES = {"ansible_playbook_python"}


def _configured(tmp_path, pairs=None, **extra):
    """configure_awx.yml on the stand-in, with kubeconfig files of its own (or the sandbox's); (process, Awx)."""
    files = {}
    for site in HOSTS:
        files[site] = tmp_path / f"{site}.kubeconfig"
        files[site].write_text(f"apiVersion: v1\nkind: Config\nusers: [{{name: {site}, user: {{token: {SECRET_MARK}}}}}]\n")
    extra_vars = {"arc_awx_ee_image": "registry.example.com/arcdata-sqlmi-ee:1.0.0",
                  "arc_awx_kubeconfig_files": dict((site, str(path)) for site, path in files.items())}
    if pairs is not None:
        extra_vars["arc_awx_pairs"] = pairs
    extra_vars.update(extra)
    process, calls = configure(tmp_path, extra_vars)
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-2000:]
    return process, Awx(calls, tmp_path)


AZURE_SECRET_MARK = "azure-client-secret-that-must-not-be-shown"
AZURE_PRINCIPAL = {"subscription": "00000000-0000-0000-0000-000000000001", "client": "11111111-1111-1111-1111-111111111111",
                   "secret": AZURE_SECRET_MARK, "tenant": "22222222-2222-2222-2222-222222222222"}


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """configure_awx.yml with its own example data (vars/) and an Azure service principal (direct mode), so that
    every task runs."""
    return _configured(tmp_path_factory.mktemp("awx-example"), arc_awx_azure=AZURE_PRINCIPAL)


def _awx_tasks():
    """The awx.awx tasks of configure_awx.yml: (name, module)."""
    play = yaml.safe_load(CONFIGURE.read_text())[0]
    return [(task["name"], next(k for k in task if k.startswith("awx.awx."))) for task in play["tasks"]
            if any(k.startswith("awx.awx.") for k in task)]


def test_configure_awx_passes_the_argument_specs_of_awx_awx(example):
    process, awx = example
    tasks = _awx_tasks()
    assert {module for _name, module in tasks} == {
        "awx.awx.execution_environment", "awx.awx.credential_type", "awx.awx.credential", "awx.awx.project",
        "awx.awx.inventory", "awx.awx.host", "awx.awx.group", "awx.awx.job_template"}
    assert [c for c in awx.calls if c["errors"]] == []
    # every awx.awx task of the playbook ran (none skipped, no empty loop), so every one was checked
    assert {c["task"] for c in awx.calls} == {name for name, _module in tasks}
    counts = dict((module, len(awx.of(module))) for module in
                  ("execution_environment", "credential_type", "credential", "project", "inventory", "host", "group",
                   "job_template"))
    # the example: one pair of two hosts; groups: the pair, arc_dr_pairs and the two sites
    assert counts == {"execution_environment": 1, "credential_type": 1, "credential": 2, "project": 1, "inventory": 1,
                      "host": 2, "group": 4, "job_template": 5}
    assert SECRET_MARK in json.dumps(awx.credential["inputs"])
    for mark in (SECRET_MARK, AZURE_SECRET_MARK):
        assert mark not in process.stdout + process.stderr, "a credential's inputs were shown (no_log)"


def test_the_azure_principal_is_a_built_in_azure_credential_on_every_job_template(example):
    _process, awx = example
    azure = awx.azure_credential
    assert azure is not None and azure["credential_type"] == AZURE_CREDENTIAL_TYPE
    assert azure["inputs"] == AZURE_PRINCIPAL and set(azure["inputs"]) <= AZURE_CREDENTIAL_INPUTS
    for template in awx.templates.values():
        assert template["credentials"] == [awx.credential["name"], azure["name"]], template["name"]


def test_without_an_azure_principal_the_job_templates_carry_the_sites_credential_only(tmp_path):
    process, awx = _configured(tmp_path)
    assert awx.azure_credential is None
    assert [c["task"] for c in awx.calls if c["action"] == "awx.awx.credential"] == ["Create the credential of both sites"]
    for template in awx.templates.values():
        assert template["credentials"] == [awx.credential["name"]], template["name"]
    assert process.returncode == 0


def test_the_stand_in_refuses_what_awx_awx_would_refuse(tmp_path):
    """The check is real: an unknown option, a value outside the choices and a wrong type are refused."""
    playbook = tmp_path / "bad.yml"
    playbook.write_text(yaml.safe_dump([{"name": "bad", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "unknown option", "awx.awx.job_template": {"name": "x", "surveys": {}}, "ignore_errors": True},
        {"name": "bad choice", "awx.awx.credential_type": {"name": "x", "kind": "clouds"}, "ignore_errors": True},
        {"name": "bad type", "awx.awx.host": {"name": "x", "inventory": "i", "variables": [1]}, "ignore_errors": True},
        {"name": "good", "awx.awx.group": {"name": "x", "inventory": "i", "groups": ["y"]}}]}]))
    process, calls = configure(tmp_path, {}, playbook=playbook)
    assert process.returncode == 0, process.stdout
    errors = dict((c["task"], " ".join(c["errors"])) for c in calls)
    assert "surveys" in errors["unknown option"]
    assert "clouds" in errors["bad choice"] and "kind" in errors["bad choice"]
    assert "variables" in errors["bad type"]
    assert errors["good"] == ""  # `groups` is an alias of `children`


def test_the_credential_type_is_one_awx_accepts_and_injects_both_kubeconfigs(example):
    _process, awx = example
    credential_type, credential = awx.credential_type, awx.credential
    assert credential_type_errors(credential_type["kind"], credential_type["inputs"], credential_type["injectors"]) == []
    assert credential_type["kind"] == "cloud"  # a kind job templates accept
    assert credential["credential_type"] == credential_type["name"]
    fields = dict((f["id"], f) for f in credential_type["inputs"]["fields"])
    for site in HOSTS:
        assert fields[f"{site}_kubeconfig"]["secret"] and fields[f"{site}_kubeconfig"]["multiline"]
        assert credential_type["injectors"]["file"][f"template.{site}_kubeconfig"] == "{{ %s_kubeconfig }}" % site
        assert credential_type["injectors"]["extra_vars"][f"arc_dr_{site}_kubeconfig"] == \
            "{{ tower.filename.%s_kubeconfig }}" % site
    assert fields["admin_password"]["secret"]
    assert set(credential_type["inputs"]["required"]) == {"primary_kubeconfig", "secondary_kubeconfig"}
    assert "env" not in credential_type["injectors"]  # no K8S_AUTH_* a task without its site's kubeconfig would use
    # empty inputs are not sent
    assert set(credential["inputs"]) == {"primary_kubeconfig", "secondary_kubeconfig"}

    # what the credential injects is what the inventory uses, and the inventory uses nothing else
    injected = set(credential_type["injectors"]["extra_vars"])
    used = set()
    for call in awx.of("group") + awx.of("host") + awx.of("inventory"):
        for value in (call["args"].get("variables") or {}).values():
            used.update(template_variables(value) if isinstance(value, str) else [])
    assert used - MAGIC_VARIABLES == injected
    sites = dict((c["args"]["name"], c["args"]["variables"]) for c in awx.of("group") if "site" in c["args"]["name"])
    assert {(v["arc_initial_role"], v["arc_kubeconfig"], v["arc_context"]) for v in sites.values()} == {
        (site, "{{ arc_dr_%s_kubeconfig }}" % site, "{{ arc_dr_%s_context }}" % site) for site in HOSTS}

    # the check is real: an injector using a field the type does not have is refused
    broken = dict(credential_type["injectors"], extra_vars={"arc_dr_x": "{{ tertiary_kubeconfig }}"})
    assert credential_type_errors("cloud", credential_type["inputs"], broken)


def test_the_job_templates_and_their_surveys_are_ones_awx_accepts(example):
    _process, awx = example
    assert sorted(Path(t["playbook"]).stem for t in awx.templates.values()) == sorted(PLAYBOOKS)
    pairs = [p["name"] for p in load_vars("inventory.yml")["arc_awx_pairs"]]
    for template in awx.templates.values():
        name = template["name"]
        assert survey_errors(template["survey_spec"]) == [], name
        assert template["survey_enabled"] and awx.credential["name"] in template["credentials"], name
        assert template["inventory"] == awx.one("inventory")["name"] and template["project"] == awx.one("project")["name"]
        assert template["execution_environment"] == awx.one("execution_environment")["name"]
        # extra vars only from the survey, whole pairs only, a Check job on request, one job at a time
        assert (template["ask_variables_on_launch"], template["ask_limit_on_launch"]) == (False, False), name
        assert template["ask_job_type_on_launch"] and template["allow_simultaneous"] is False, name
        # the project's playbook imports the collection's playbook of the same name
        wrapper = yaml.safe_load((PROJECT_DIR / template["playbook"]).read_text())
        stem = Path(template["playbook"]).stem
        assert wrapper == [{"name": wrapper[0]["name"], "ansible.builtin.import_playbook": f"arcdata.sqlmi.{stem}"}]
        assert (REPO_ROOT / "playbooks" / f"{stem}.yml").is_file()

        questions = dict((q["variable"], q) for q in template["survey_spec"]["spec"])
        pair = questions["arc_pairs"]
        assert pair["required"] and pair["type"] == "multiplechoice", name
        if stem in ("dr_setup", "dr_status"):
            assert pair["choices"].splitlines() == ["arc_dr_pairs"] + pairs and pair["default"] == "arc_dr_pairs"
        else:  # a failover acts on one pair, named by the operator
            assert pair["choices"].splitlines() == pairs and "default" not in pair, name
        if stem == "failover_forced":
            confirm = questions["dr_failover_confirm"]
            assert confirm["required"] and confirm["type"] == "text" and confirm["min"] >= 1, confirm
            assert "default" not in confirm
            assert set(questions) == {"arc_pairs", "dr_failover_confirm"}
        else:
            assert set(questions) == {"arc_pairs"}, name

    forced = awx.template("failover_forced")["survey_spec"]
    # AWX starts no forced failover without the confirmation, nor for a pair the survey does not offer
    with pytest.raises(LaunchRefused, match="dr_failover_confirm"):
        survey_extra_vars(forced, {"arc_pairs": pairs[0]})
    with pytest.raises(LaunchRefused, match="arc_pairs"):
        survey_extra_vars(forced, {"arc_pairs": "arc_dr_pairs", "dr_failover_confirm": "x"})
    assert survey_extra_vars(awx.template("dr_status")["survey_spec"], {"limit": "x"}) == {"arc_pairs": "arc_dr_pairs"}
    # the check is real
    assert survey_errors({"name": "", "description": "", "spec": [dict(forced["spec"][0], default="nowhere")]})


# -- jobs on the sandbox ----------------------------------------------------------------------------------------------
def _awx_for(pair, workdir):
    """configure_awx.yml for one PlaybookPair on the sandbox: its sites' kubeconfigs and the operator contexts in the
    credential, its names in the inventory."""
    awx_pair = {"name": pair.group,
                "variables": {"arc_dag_name": pair.dag_name, "arc_sync_mode": "async", "arc_instance_spec": pair.spec},
                "hosts": [{"name": pair.hosts[site], "site": site,
                           "variables": {"arc_instance": pair.instances[site], "arc_dag_resource": pair.dags[site]}}
                          for site in HOSTS]}
    process, calls = configure(workdir, {
        "arc_awx_ee_image": "arcdata-sqlmi-ee:test",
        "arc_awx_kubeconfig_files": dict((site, pair.connection[site]["arc_kubeconfig"]) for site in HOSTS),
        "arc_awx_contexts": dict((site, pair.connection[site]["arc_context"]) for site in HOSTS),
        "arc_awx_namespaces": dict((site, pair.connection[site]["arc_namespace"]) for site in HOSTS),
        "arc_awx_admin_username": "dbadmin", "arc_awx_admin_password": pair.admin_password,
        "arc_awx_pairs": [awx_pair]})
    assert process.returncode == 0, process.stdout[-4000:]
    assert [c for c in calls if c["errors"]] == []
    return Awx(calls, workdir)


@pytest.mark.timeout(600)
def test_the_dr_jobs_as_awx_runs_them(ansible, arc_sites, tmp_path):
    made = PlaybookPairs(arc_sites, tmp_path)
    try:
        _jobs(ansible, arc_sites, made.new("awx"), tmp_path / "awx")
    finally:
        made.remove_all()


def _jobs(ansible, sites, pair, workdir):
    awx = _awx_for(pair, workdir)
    one_pair = {"arc_pairs": pair.group}

    # dr_setup as a Check job: it predicts both instances and stores nothing
    marks = audit_marks(sites)
    run, extra_vars = awx.launch(ansible, "dr_setup", one_pair, job_type="check")
    assert run.rc == 0, run
    assert extra_vars["arc_pairs"] == pair.group
    create_instance = "Create or update this site's instance and wait until it is Ready for its generation"
    assert {t["host"] for t in run.results(create_instance) if t["result"]["changed"]} == \
        {pair.hosts[site] for site in HOSTS}
    assert collection_writes_since(sites, marks) == NO_WRITES
    for site in HOSTS:
        assert instance_object(sites, pair, site) is None
    # the kubeconfig files and contexts of the credential were used: the requests were the operator's
    requests = collection_since(sites, marks)
    assert all(requests.values()) and {r["user"] for site in HOSTS for r in requests[site]} == {OPERATOR}

    # dr_setup for real
    run, _extra_vars = awx.launch(ansible, "dr_setup", one_pair)
    assert run.rc == 0, run
    for site in HOSTS:
        obj = dag_object(sites, pair, site)
        assert obj is not None and obj["status"].get("state") == "Succeeded" and connected(obj), obj
    assert instance_object(sites, pair, "secondary")["spec"]["licenseType"] == "DisasterRecovery"

    # dr_status as a Check job, for every pair of the inventory (the survey's default)
    run, extra_vars = awx.launch(ansible, "dr_status", {}, job_type="check")
    assert run.rc == 0, run
    assert extra_vars["arc_pairs"] == "arc_dr_pairs"
    assert {t["host"] for t in run.tasks} == {pair.hosts[site] for site in HOSTS}

    # a forced failover: AWX does not start it without the confirmation (the playbook's own refusal without one is
    # in test_playbooks_failover.py), and the playbook refuses a wrong one before any write
    marks = audit_marks(sites)
    with pytest.raises(LaunchRefused, match="dr_failover_confirm"):
        awx.launch(ansible, "failover_forced", one_pair)
    run, _extra_vars = awx.launch(ansible, "failover_forced", dict(one_pair, dr_failover_confirm="yes"))
    assert run.rc != 0, run
    message = failed_messages(run)
    assert "refused, nothing was changed" in message and "'yes'" in message and pair.dag_name in message, message
    assert collection_writes_since(sites, marks) == NO_WRITES
    assert roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}

    # a planned failover, recorded as the AWX user's and job's
    run, extra_vars = awx.launch(ansible, "failover_planned", one_pair, user="alice")
    assert run.rc == 0, run
    assert roles(sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
    record = json.loads(dag_object(sites, pair, "secondary")["metadata"]["annotations"]["arcdata.sqlmi/handover"])
    assert (record["mode"], record["outcome"], record["operator"]) == ("planned", "succeeded", "alice"), record
    assert str(record["job"]) == str(extra_vars["awx_job_id"]), record
