"""Connection without module_defaults (issue 4 item 8): K8S_AUTH_KUBECONFIG and K8S_AUTH_CONTEXT, the variables
kubernetes.core users already set, are enough to reach a site; nothing else is used silently; and a kubeconfig
given as a dict (the file's YAML loaded into a variable) works without its token ever reaching the output."""
import os
from pathlib import Path

import yaml

from .conftest import HOSTS, collection_requests

INFO = "List the instances"


def _play(tasks):
    """A play with no module_defaults: only what the task and the environment say."""
    return [{"name": "no connection defaults", "hosts": "primary", "gather_facts": False, "tasks": tasks}]


def _info_task(**arguments):
    return {"name": INFO, "arcdata.sqlmi.arc_sqlmi_info": dict(namespace="arc", **arguments)}


def _merged_kubeconfig(arc_sites, path, current):
    """One kubeconfig holding both sites, `current` its current context (kubectl's usual multi-cluster file)."""
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [], "preferences": {}}
    for host in HOSTS:
        single = yaml.safe_load(Path(arc_sites.site(host).kubeconfig).read_text())
        for section in ("clusters", "users", "contexts"):
            merged[section] += single[section]
    merged["current-context"] = arc_sites.site(current).context
    path.write_text(yaml.safe_dump(merged))
    return path


def _isolated_env(tmp_path, **variables):
    """No ~/.kube/config and no KUBECONFIG to fall back on: only the variables given."""
    inherited = [name for name in os.environ if name.startswith("K8S_AUTH_")]
    assert inherited == [], f"the test runs with {inherited} set: they would decide where the modules connect"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return dict({"HOME": str(home), "KUBECONFIG": str(tmp_path / "no-such-kubeconfig")}, **variables)


def _reached(arc_sites, marks):
    return {host: len(collection_requests(arc_sites.site(host).audit_since(marks[host]))) for host in HOSTS}


def test_k8s_auth_environment_variables_alone_reach_the_site(ansible, arc_sites, tmp_path):
    # the file's current context is the secondary site: K8S_AUTH_CONTEXT must be what picks the primary
    kubeconfig = _merged_kubeconfig(arc_sites, tmp_path / "both-sites.kubeconfig", current="secondary")
    env = _isolated_env(tmp_path, K8S_AUTH_KUBECONFIG=str(kubeconfig),
                        K8S_AUTH_CONTEXT=arc_sites.site("primary").context)
    marks = {host: arc_sites.site(host).audit_mark() for host in HOSTS}
    run = ansible.run(_play([_info_task()]), env=env)
    assert run.rc == 0, run
    assert isinstance(run.result(INFO, "primary")["instances"], list)
    reached = _reached(arc_sites, marks)
    assert reached["primary"] > 0 and reached["secondary"] == 0, reached

    # without K8S_AUTH_CONTEXT the file's current context (the secondary site) is used
    marks = {host: arc_sites.site(host).audit_mark() for host in HOSTS}
    run = ansible.run(_play([_info_task()]), env=_isolated_env(tmp_path, K8S_AUTH_KUBECONFIG=str(kubeconfig)))
    assert run.rc == 0, [t["result"].get("msg") for t in run.failed()]
    reached = _reached(arc_sites, marks)
    assert reached["secondary"] > 0 and reached["primary"] == 0, reached

    # and with nothing at all, no silent fallback (in-cluster or otherwise): a message that says what to set
    run = ansible.run(_play([_info_task()]), env=_isolated_env(tmp_path))
    assert run.rc != 0
    message = run.result(INFO, "primary")["msg"]
    assert "K8S_AUTH_KUBECONFIG" in message and "kubeconfig" in message, message


def test_dict_kubeconfig_works_and_its_token_never_shows(ansible, arc_sites, tmp_path):
    site = arc_sites.site("primary")
    loaded = yaml.safe_load(Path(site.kubeconfig).read_text())
    assert site.token in yaml.safe_dump(loaded)
    play = _play([_info_task(kubeconfig="{{ site_kubeconfig }}", context=site.context),
                  {"name": "Bad context, same dict", "arcdata.sqlmi.arc_sqlmi_info": {
                      "namespace": "arc", "kubeconfig": "{{ site_kubeconfig }}", "context": "no-such-context"},
                   "ignore_errors": True}])
    play[0]["vars"] = {"site_kubeconfig": loaded}
    marks = {host: arc_sites.site(host).audit_mark() for host in HOSTS}
    run = ansible.run(play, env=_isolated_env(tmp_path), verbosity=3)
    assert run.rc == 0, run
    assert isinstance(run.result(INFO, "primary")["instances"], list)
    assert _reached(arc_sites, marks)["primary"] > 0
    failure = run.result("Bad context, same dict", "primary")
    assert "no-such-context" in failure["msg"]
    assert site.token not in run.stdout + run.stderr
    # -vvv shows the module's arguments: the dict is there, its token replaced
    shown = run.result(INFO, "primary")["invocation"]["module_args"]["kubeconfig"]
    assert shown["users"][0]["user"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert shown["current-context"] == site.context
