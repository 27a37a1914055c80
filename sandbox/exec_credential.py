"""The sandbox's stand-in for an exec credential plugin (kubelogin, `aws eks get-token`, `gke-gcloud-auth-plugin`):
`python -m sandbox exec-credential --site S` prints an ExecCredential whose token is one of the site's short-lived
signed tokens (sandbox/apiserver/signed_tokens.py), with its expiry, as those plugins do. Clients (kubectl, the
kubernetes Python library) run it from a kubeconfig's `exec` user (sandbox/kubeconfig.py render_exec) and run it
again once the token is about to expire.

Like kubelogin, it reads the request the client passes in $KUBERNETES_EXEC_INFO and answers in the API version
asked for (client.authentication.k8s.io/v1 or v1beta1); it never asks anything interactively."""
import datetime
import json

from .apiserver.authentication import user_of
from .apiserver.signed_tokens import SignedTokens

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
DEFAULT_API_VERSION = API_VERSIONS[0]
EXEC_INFO_VARIABLE = "KUBERNETES_EXEC_INFO"


class ExecCredentialError(Exception):
    """The client's request cannot be answered (the message says why; the client shows it)."""


def requested_api_version(exec_info_text):
    """The API version the client asks for in $KUBERNETES_EXEC_INFO (v1 when it is not set, as for a plugin run
    by hand)."""
    if not exec_info_text:
        return DEFAULT_API_VERSION
    try:
        api_version = json.loads(exec_info_text).get("apiVersion")
    except (ValueError, AttributeError):
        raise ExecCredentialError(f"${EXEC_INFO_VARIABLE} is not an ExecCredential in JSON") from None
    if api_version not in API_VERSIONS:
        raise ExecCredentialError(f"${EXEC_INFO_VARIABLE} asks for apiVersion {api_version!r}; this plugin "
                                  f"speaks {', '.join(API_VERSIONS)}")
    return api_version


def _rfc3339(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def exec_credential(signing_key, site, credential, lifetime, exec_info_text=None):
    """The ExecCredential of a new token for one of the site's credentials (sandbox/layout.py CREDENTIALS),
    valid `lifetime` seconds."""
    api_version = requested_api_version(exec_info_text)
    user = user_of(credential, site.namespace)
    token, expires = SignedTokens(signing_key, site.api_url).issue(user.name, user.groups, lifetime)
    return {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False},
            "status": {"token": token, "expirationTimestamp": _rfc3339(expires)}}
