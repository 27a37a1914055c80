"""Short-lived signed tokens and the stand-in exec credential plugin (issue 15 item 6): what kubelogin or
`aws eks get-token` give a client on an Arc-enabled cluster. The plugin prints an ExecCredential, the site accepts
its token as the user it names (RBAC applies as to the static tokens), an expired one or another site's is 401
with a Status, and a kubeconfig whose user runs the plugin works with the kubernetes library and kubectl."""
import datetime
import json
import os
import stat
import subprocess
import sys
import time

import jwt
import pytest
import yaml
from kubernetes import client, config

from sandbox.apiserver.signed_tokens import SignedTokens
from sandbox.layout import REPO_ROOT

from .client_support import SQLMI, api_error, assert_status
from .conftest import run_cli, sqlmi_body

OPERATOR = "system:serviceaccount:arc:arcdata-sqlmi-operator"
VIEWER = "system:serviceaccount:arc:arcdata-sqlmi-viewer"


def _plugin(site, *args, exec_info=None, check=True):
    """Run the stand-in plugin as a client does: from another directory, with $KUBERNETES_EXEC_INFO if given."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("KUBERNETES_EXEC_INFO", None)
    if exec_info is not None:
        env["KUBERNETES_EXEC_INFO"] = json.dumps(exec_info)
    command = [sys.executable, "-m", "sandbox", "--runtime-dir", str(site.runtime_dir), "exec-credential"]
    result = subprocess.run([*command, "--site", site.name, *args], env=env,
                            cwd=site.runtime_dir, capture_output=True, text=True, timeout=60, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _token_client(site, token):
    configuration = client.Configuration(host=site.api_url)
    configuration.ssl_ca_cert = str(site.files.ca_cert)
    configuration.retries = 0
    configuration.api_key = {"BearerToken": f"Bearer {token}"}
    return client.CustomObjectsApi(client.ApiClient(configuration))


def _list_instances(api, site):
    return api.list_namespaced_custom_object(*SQLMI[:2], site.namespace, SQLMI[2])


def _signed_token(site, user=OPERATOR, lifetime=600, now=None, key=None, audience=None):
    """A token signed as the plugin signs it (with the site's key unless another is given)."""
    tokens = SignedTokens(key or site.files.token_signing_key.read_text().strip(), audience or site.api_url)
    return tokens.issue(user, ("system:serviceaccounts", "system:authenticated"), lifetime, now=now)[0]


def test_the_plugin_prints_an_exec_credential_whose_expiry_is_the_tokens(primary):
    credential = json.loads(_plugin(primary, "--ttl", "120").stdout)
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1"
    assert credential["kind"] == "ExecCredential"
    claims = jwt.decode(credential["status"]["token"], options={"verify_signature": False})
    expiry = datetime.datetime.fromisoformat(credential["status"]["expirationTimestamp"].replace("Z", "+00:00"))
    assert int(expiry.timestamp()) == claims["exp"] == claims["iat"] + 120
    assert claims["sub"] == OPERATOR  # the collection's credential unless --user says otherwise
    assert stat.S_IMODE(primary.files.token_signing_key.stat().st_mode) == 0o600  # the key signing them


@pytest.mark.parametrize("api_version", ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
def test_the_plugin_answers_in_the_api_version_the_client_asks_for(primary, api_version):
    exec_info = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    credential = json.loads(_plugin(primary, exec_info=exec_info).stdout)
    assert credential["apiVersion"] == api_version
    assert credential["status"]["token"]


def test_the_plugin_refuses_an_api_version_it_does_not_speak(primary):
    exec_info = {"apiVersion": "client.authentication.k8s.io/v1alpha1", "kind": "ExecCredential"}
    result = _plugin(primary, exec_info=exec_info, check=False)
    assert result.returncode == 1
    assert "v1alpha1" in result.stderr and not result.stdout


def test_a_plugin_token_signs_in_as_the_user_it_names_with_that_users_rights(primary, unique_name):
    viewer = json.loads(_plugin(primary, "--user", "viewer").stdout)["status"]["token"]
    api = _token_client(primary, viewer)
    mark = primary.audit_mark()
    _list_instances(api, primary)  # the viewer Role reads instances
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], primary.namespace, SQLMI[2],
                              sqlmi_body(unique_name("viewer"), primary.namespace))
    assert error.status == 403
    assert VIEWER in status["message"]
    entries = primary.audit_since(mark)
    assert [(e["user"], e["code"]) for e in entries] == [(VIEWER, 200), (VIEWER, 403)]
    # the audit log names the credential (its id and expiry), never the token itself
    claims = jwt.decode(viewer, options={"verify_signature": False})
    assert all(e["credential"] == {"id": claims["jti"], "expires": claims["exp"]} for e in entries)
    assert viewer not in primary.files.audit_log.read_text()


def test_an_expired_token_is_401_with_a_status(primary):
    expired = _signed_token(primary, lifetime=60, now=time.time() - 120)
    error, status = api_error(_list_instances, _token_client(primary, expired), primary)
    assert error.status == 401
    assert_status(status, 401, "Unauthorized")


@pytest.mark.parametrize("forgery", ["another key", "another audience"])
def test_a_token_the_site_did_not_sign_for_itself_is_401(primary, forgery):
    token = _signed_token(primary, key="0" * 64) if forgery == "another key" else \
        _signed_token(primary, audience="https://127.0.0.1:6443")
    error, status = api_error(_list_instances, _token_client(primary, token), primary)
    assert error.status == 401
    assert_status(status, 401, "Unauthorized")


def test_one_sites_plugin_token_does_not_open_the_other(primary, secondary):
    token = json.loads(_plugin(primary).stdout)["status"]["token"]
    error, dummy = api_error(_list_instances, _token_client(secondary, token), secondary)
    assert error.status == 401


def test_static_tokens_still_work_beside_signed_ones(primary):
    _list_instances(_token_client(primary, primary.credential_token("operator")), primary)


def test_an_exec_kubeconfig_works_with_the_kubernetes_library_and_kubectl(primary):
    path = primary.runtime_dir / "exec-library.kubeconfig"
    run_cli(primary.runtime_dir, "kubeconfig", "--site", "primary", "--exec", "--ttl", "60", "--output", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = yaml.safe_load(path.read_text())
    plugin = document["users"][0]["user"]["exec"]
    assert plugin["interactiveMode"] == "Never" and plugin["args"][-2:] == ["--ttl", "60"]
    assert "token" not in document["users"][0]["user"]  # the only credential is the plugin
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration, persist_config=False)
    mark = primary.audit_mark()
    api = client.CustomObjectsApi(client.ApiClient(configuration))
    _list_instances(api, primary)
    _list_instances(api, primary)
    env = dict(os.environ, KUBECONFIG=str(path))
    result = subprocess.run(["kubectl", f"--cache-dir={primary.runtime_dir}/kubectl-cache", "get",
                             f"sqlmanagedinstances.{SQLMI[0]}"], env=env, cwd="/", capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    entries = [e for e in primary.audit_since(mark) if e["resource"] == "sqlmanagedinstances"]
    assert [(e["user"], e["code"]) for e in entries] == [(OPERATOR, 200)] * 3
    # a token valid for less than the library's 5 minutes of margin is fetched again before each request
    assert len({e["credential"]["id"] for e in entries}) == 3


def test_the_static_kubeconfig_of_one_credential(primary):
    path = primary.runtime_dir / "viewer.kubeconfig"
    run_cli(primary.runtime_dir, "kubeconfig", "--site", "primary", "--user", "viewer", "--output", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = yaml.safe_load(path.read_text())
    assert document["users"][0]["user"]["token"] == primary.credential_token("viewer")
    assert document["current-context"] == primary.contexts["viewer"]
