"""Kubeconfig files for the sites: CA data inline, one user and context per credential (sandbox/layout.py
CREDENTIALS), each with its bearer token and the site's namespace. The admin's context stays the current one."""
import base64

import yaml

from .layout import CREDENTIALS, write_private


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
