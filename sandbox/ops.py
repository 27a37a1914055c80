"""Clients of the sandbox's operations endpoints (fault injection): tests, benchmarks and the CLI only.
`SiteOps` talks to one site's API server, `AzureOps` to the sandbox's Azure (direct mode)."""
import json
import ssl
import urllib.error
import urllib.request

from .supervisor import SandboxError


class _OpsClient:
    def __init__(self, url, token_file, ca_file):
        self._url = f"{url}/_sandbox"
        self._token = token_file.read_text().strip()
        self._context = ssl.create_default_context(cafile=str(ca_file))

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self._url}/{path}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {self._token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self._context, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # the endpoint says what it refused (a rule's field, ...)
            try:
                reason = json.loads(exc.read()).get("error") or exc.reason
            except ValueError:
                reason = exc.reason
            raise SandboxError(f"{method} {self._url}/{path}: {exc.code} {reason}") from None

    def set_faults(self, rules):
        return self._call("PUT", "faults", rules)["rules"]

    def clear_faults(self):
        return self._call("DELETE", "faults")["rules"]

    def faults(self):
        return self._call("GET", "faults")["rules"]


class SiteOps(_OpsClient):
    def __init__(self, files, site):
        super().__init__(site.api_url, files.ops_token, files.ca_cert)

    def cut_watches(self, user_agent=None, resource=None):
        """Reset every open watch now (of clients whose User-Agent starts with `user_agent`, of `resource`, if
        given); returns the watches cut (resource, namespace, user_agent)."""
        return self._call("POST", "watches/cut", {"user_agent": user_agent or "", "resource": resource or ""})["cut"]

    def open_watches(self):
        return self._call("GET", "watches")["watches"]


class AzureOps(_OpsClient):
    """Faults of the sandbox's Azure (sandbox/arm/faults.py) and its access tokens."""

    def __init__(self, files, base_url):
        super().__init__(base_url, files.ops_token, files.ca_cert)

    def revoke_tokens(self, principal=None):
        """Every access token issued so far (to the principal named `principal`, or to all) is refused from now on
        (401 ExpiredAuthenticationToken)."""
        return self._call("POST", "tokens/revoke", {"principal": principal})["revoked_at"]

    def set_token_lifetime(self, seconds):
        """New access tokens last `seconds` (None: the configured lifetimes again)."""
        return self._call("PUT", "tokens/lifetime", {"lifetime_seconds": seconds})["lifetime_seconds"]
