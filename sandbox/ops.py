"""Client for a site's operations endpoint (fault injection): tests, benchmarks and the CLI only."""
import json
import ssl
import urllib.request


class SiteOps:
    def __init__(self, files, site):
        self._url = f"{site.api_url}/_sandbox"
        self._token = files.ops_token.read_text().strip()
        self._context = ssl.create_default_context(cafile=str(files.ca_cert))

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self._url}/{path}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {self._token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._context, timeout=10) as response:
            return json.loads(response.read())

    def set_faults(self, rules):
        return self._call("PUT", "faults", rules)["rules"]

    def clear_faults(self):
        return self._call("DELETE", "faults")["rules"]

    def faults(self):
        return self._call("GET", "faults")["rules"]

    def cut_watches(self, user_agent=None, resource=None):
        """Reset every open watch now (of clients whose User-Agent starts with `user_agent`, of `resource`, if
        given); returns the watches cut (resource, namespace, user_agent)."""
        return self._call("POST", "watches/cut", {"user_agent": user_agent or "", "resource": resource or ""})["cut"]

    def open_watches(self):
        return self._call("GET", "watches")["watches"]
