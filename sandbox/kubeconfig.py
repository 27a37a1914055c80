"""Kubeconfig files for the sites: CA data inline, a bearer token, the site's namespace."""
import base64

import yaml

from .layout import write_private


def render(site, ca_pem, token):
    user = f"{site.context}-admin"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": site.context, "cluster": {
            "server": site.api_url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": site.context, "context": {"cluster": site.context, "user": user,
                                                        "namespace": site.namespace}}],
        "current-context": site.context,
        "preferences": {},
    }


def write(files, site, token):
    config = render(site, files.ca_cert.read_bytes(), token)
    write_private(files.kubeconfig, yaml.safe_dump(config, sort_keys=False))
