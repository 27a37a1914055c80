"""Client of an instance's endpoint (`status.endpoints.primary`, "ip,port"): the line protocol of
sandbox/controller/engine/client_endpoint.py. Used by tests, the demo and `python -m sandbox sql`."""
import json
import socket


class SqlError(Exception):
    """The instance refused the request (e.g. a write on a secondary); the message is its answer."""


class SqlClient:
    def __init__(self, endpoint, timeout=30.0):
        host, port = endpoint.rsplit(",", 1)
        self._socket = socket.create_connection((host, int(port)), timeout=timeout)
        self._reader = self._socket.makefile("rb")

    def _call(self, request):
        self._socket.sendall(json.dumps(request).encode() + b"\n")
        line = self._reader.readline()
        if not line:
            raise ConnectionError("the instance closed the connection")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise SqlError(answer.get("error", "unknown error"))
        return answer

    def write(self, key, value):
        """Commit a write; returns its LSN (only once committed)."""
        return self._call({"op": "write", "key": key, "value": value})["lsn"]

    def read(self, key):
        answer = self._call({"op": "read", "key": key})
        return (answer["lsn"], answer["value"]) if answer["found"] else None

    def stats(self):
        return self._call({"op": "stats"})["stats"]

    def records(self, after=0):
        """Every log record after LSN `after`, in LSN order."""
        records = []
        while True:
            batch = self._call({"op": "dump", "after": after, "limit": 10000})["records"]
            if not batch:
                return records
            records.extend(batch)
            after = batch[-1]["lsn"]

    def close(self):
        self._reader.close()
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def endpoint_of(files, site, instance):
    """The instance's client endpoint ("ip,port") as its status publishes it, read through the site's API."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(files.kubeconfig), context=site.context,
                            client_configuration=configuration)
    api = client.CustomObjectsApi(client.ApiClient(configuration))
    listing = api.list_namespaced_custom_object("sql.arcdata.microsoft.com", _storage_version(configuration),
                                                site.namespace, "sqlmanagedinstances",
                                                field_selector=f"metadata.name={instance}")
    if not listing["items"]:
        raise SqlError(f"site {site.name}: no SqlManagedInstance {instance!r} in namespace {site.namespace!r}")
    endpoint = ((listing["items"][0].get("status") or {}).get("endpoints") or {}).get("primary")
    if not endpoint:
        raise SqlError(f"site {site.name}: instance {instance!r} publishes no endpoint yet (not Ready)")
    return endpoint


def _storage_version(configuration):
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    crd = client.ApiextensionsV1Api(client.ApiClient(configuration)).read_custom_resource_definition(
        "sqlmanagedinstances.sql.arcdata.microsoft.com")
    return next(v.name for v in crd.spec.versions if v.storage)
