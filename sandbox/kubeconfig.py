"""Kubeconfig files for the sites: CA data inline, one user and context per credential (sandbox/layout.py
CREDENTIALS), each with its bearer token and the site's namespace. The admin's context stays the current one.
And, on request, a kubeconfig whose user is an exec credential plugin (render_exec)."""
import base64

import yaml

from .exec_credential import DEFAULT_API_VERSION
from .layout import CREDENTIALS, REPO_ROOT, write_private


def _user_name(site, credential):
    return f"arc-{site.name}-{credential}"


def render(site, ca_pem, tokens):
    """`tokens`: {credential: bearer token}."""
    credentials = [c for c in CREDENTIALS if c in tokens]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": site.context, "cluster": {
            "server": site.api_url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": _user_name(site, c), "user": {"token": tokens[c]}} for c in credentials],
        "contexts": [{"name": site.context_of(c), "context": {"cluster": site.context, "user": _user_name(site, c),
                                                              "namespace": site.namespace}} for c in credentials],
        "current-context": site.context,
        "preferences": {},
    }


def write(files, site, tokens):
    config = render(site, files.ca_cert.read_bytes(), tokens)
    write_private(files.kubeconfig, yaml.safe_dump(config, sort_keys=False))


def write_static(path, files, site, credential):
    """A kubeconfig of one site and credential with its static bearer token (mode 0600)."""
    config = render(site, files.ca_cert.read_bytes(), {credential: files.token_of(credential).read_text().strip()})
    config["current-context"] = site.context_of(credential)
    write_private(path, yaml.safe_dump(config, sort_keys=False))


def render_exec(site, ca_pem, credential, lifetime, runtime_dir, python):
    """A kubeconfig of one site and credential whose user is an exec credential plugin, as Arc-enabled clusters
    hand them out (kubelogin, `aws eks get-token`): the sandbox's stand-in (sandbox/exec_credential.py), run by
    `python` with the repository on PYTHONPATH so that it runs from any directory, issuing tokens valid
    `lifetime` seconds."""
    user = f"{_user_name(site, credential)}-exec"
    context = f"{site.context_of(credential)}-exec"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": site.context, "cluster": {
            "server": site.api_url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": user, "user": {"exec": {
            "apiVersion": DEFAULT_API_VERSION,
            "command": str(python),
            "args": ["-m", "sandbox", "--runtime-dir", str(runtime_dir), "exec-credential", "--site", site.name,
                     "--user", credential, "--ttl", str(int(lifetime))],
            "env": [{"name": "PYTHONPATH", "value": str(REPO_ROOT)}],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
            "installHint": "the sandbox's stand-in exec plugin runs with the repository's .venv/bin/python: "
                           "run `make venv` in the repository",
        }}}],
        "contexts": [{"name": context, "context": {"cluster": site.context, "user": user,
                                                   "namespace": site.namespace}}],
        "current-context": context,
        "preferences": {},
    }


def write_exec(path, files, site, credential, lifetime, python):
    """Write render_exec's kubeconfig to `path` (mode 0600, as kubeconfigs are)."""
    config = render_exec(site, files.ca_cert.read_bytes(), credential, lifetime, files.runtime_dir, python)
    write_private(path, yaml.safe_dump(config, sort_keys=False))
