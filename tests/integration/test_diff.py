"""--diff (issue 4 item 3): changing an instance and a DAG shows the spec before and after, in check mode and for
real, with -vvv too; and no secret ever appears: not the admin password (old or new), not a site's bearer token,
not the kubeconfig, not a private key."""
from pathlib import Path

import yaml

from .conftest import HOSTS, private_key_material, seed_walkthrough

INSTANCE = "Give the primary instance a memory limit and a new admin password"
DAG = "Commit synchronously to the partner"


def _changes(pair, new_password):
    instance = {"name": pair.instances["primary"], "memory_limit": "4Gi", "admin_password": new_password}
    return [{"name": INSTANCE, "arcdata.sqlmi.arc_sqlmi": instance},
            {"name": DAG, "arcdata.sqlmi.arc_dag": {"name": pair.dags["primary"], "sync_mode": "sync"}}]


def _secrets(arc_sites, pair, new_password):
    """Every secret value the output must not contain, with a label for the assertion message."""
    found = {"old admin password": pair.admin_password, "new admin password": new_password}
    for host in HOSTS:
        site = arc_sites.site(host)
        found[f"{host} bearer token"] = site.token
        kubeconfig = yaml.safe_load(Path(site.kubeconfig).read_text())
        found[f"{host} kubeconfig CA data"] = kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]
        for user in kubeconfig["users"]:  # the admin's, the collection's (operator) and the viewer's
            for key, value in user["user"].items():
                found[f"{host} kubeconfig user {user['name']} {key}"] = value
    for number, line in enumerate(sorted(private_key_material(arc_sites.runtime_dir))):
        found[f"private key line {number}"] = line
    assert len(found) > 8
    return found


def _assert_no_secret(run, secrets):
    text = run.stdout + run.stderr
    leaked = [label for label, value in secrets.items() if value and value in text]
    assert leaked == [], leaked


def _assert_diffs(run, pair):
    instance = run.result(INSTANCE, "primary")
    assert instance["changed"] is True
    before, after = instance["diff"]["before"], instance["diff"]["after"]
    assert "limits" not in ((before["spec"].get("scheduling") or {}).get("default") or {}).get("resources", {})
    assert after["spec"]["scheduling"]["default"]["resources"]["limits"]["memory"] == "4Gi"
    assert before["spec"]["tier"] == after["spec"]["tier"] == "BusinessCritical"
    assert after["admin_login_secret"]["name"] == f"{pair.instances['primary']}-login-secret"
    assert "hidden" in after["admin_login_secret"]["password"]

    dag = run.result(DAG, "primary")
    assert dag["changed"] is True
    before, after = dag["diff"]["before"], dag["diff"]["after"]
    assert before.get("partnerSyncMode") in (None, "async") and after["partnerSyncMode"] == "sync"
    assert before["sourceMI"] == after["sourceMI"] == pair.instances["primary"]
    assert before["partnerMirroringCert"].startswith("certificate ")
    # what the user reads: the default callback's rendering of the diffs
    assert '"partnerSyncMode": "sync"' in run.stdout
    assert '"memory": "4Gi"' in run.stdout


def test_diff_shows_spec_changes_and_never_a_secret(ansible, arc_sites, new_dr_pair, tmp_path):
    pair = new_dr_pair("diff")
    walkthrough = ansible.run(seed_walkthrough(ansible, pair, tmp_path / "sqlcerts"), diff=True)
    assert walkthrough.rc == 0, walkthrough
    new_password = f"Nw-{pair.tag}-{pair.admin_password[3:11]}#Q"
    secrets = _secrets(arc_sites, pair, new_password)
    _assert_no_secret(walkthrough, secrets)

    predicted = ansible.run(ansible.play(_changes(pair, new_password)), check=True, diff=True, verbosity=3)
    assert predicted.rc == 0, predicted
    _assert_diffs(predicted, pair)
    _assert_no_secret(predicted, secrets)

    changed = ansible.run(ansible.play(_changes(pair, new_password)), diff=True, verbosity=3)
    assert changed.rc == 0, changed
    _assert_diffs(changed, pair)
    _assert_no_secret(changed, secrets)
    assert changed.result(DAG, "primary")["state"] == "Succeeded"
    assert changed.result(INSTANCE, "primary")["state"] == "Ready"

    again = ansible.run(ansible.play(_changes(pair, new_password)), diff=True, verbosity=3)
    assert again.rc == 0, again
    assert again.changed() == [] and all("diff" not in t["result"] for t in again.tasks)
    _assert_no_secret(again, secrets)
