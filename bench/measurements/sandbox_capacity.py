"""Sandbox capacity (issue 7 item 6): how many requests per second one site's API server answers, and how fast,
with 20 clients at once, for a GET of a custom object (the namespace's DataController, which nothing else
touches) and a JSON merge patch of a ConfigMap of the bench's own (no controller watches ConfigMaps). The clients
keep their connections open, as a busy client would, so this is what the server sustains rather than TLS
handshakes. When these figures are far above the rates the other measurements cause, and their latencies far
below the times those measure, the bench measures the collection, not the emulator.

The clients run in the bench's own process on the same machine as the server, so on a 2-core machine they take
part of the CPU the server would otherwise have: the figures are a lower bound of the server's capacity."""
import asyncio
import base64
import json
import ssl
import time

import aiohttp
import yaml

from bench import stats
from bench.measurement import Result
from bench.sandbox_session import running_sandbox

NAME = "sandbox_capacity"
TITLE = "Sandbox capacity: one site's API server under 20 concurrent clients"
CLIENTS = 20
SECONDS = {True: 2.0, False: 4.0}  # per operation and run: --quick, full
WARM_UP_SECONDS = 0.5
CONFIGMAP = "bench-capacity"
MERGE_PATCH = "application/merge-patch+json"


class Site:
    """One site's API as its kubeconfig describes it: the server, its CA and the admin's bearer token."""

    def __init__(self, description):
        config = yaml.safe_load(open(description["kubeconfig"], encoding="utf-8"))
        context = next(c["context"] for c in config["contexts"] if c["name"] == description["context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.server = cluster["server"]
        self.namespace = description["namespace"]
        self.headers = {"Authorization": "Bearer %s" % user["token"], "Accept": "application/json"}
        self.tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())

    def url(self, path):
        return self.server + path


async def _call(session, site, operation):
    """One request; raises on an answer other than 2xx, so that errors cannot pass for capacity."""
    method, path, body = operation()
    headers = dict(site.headers, **({"Content-Type": MERGE_PATCH} if method == "PATCH" else {}))
    async with session.request(method, site.url(path), data=body, headers=headers, ssl=site.tls) as response:
        await response.read()
        if response.status >= 300:
            raise RuntimeError("%s %s: %s" % (method, path, response.status))


async def _client(session, site, operation, until, latencies):
    while time.monotonic() < until:
        started = time.monotonic()
        await _call(session, site, operation)
        latencies.append(time.monotonic() - started)


async def _load(site, operation, seconds):
    """CLIENTS clients calling `operation` back to back for `seconds`: (requests per second, latencies)."""
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def clients(until, latencies):
            await asyncio.gather(*(_client(session, site, operation, until, latencies) for unused in range(CLIENTS)))
        await clients(time.monotonic() + WARM_UP_SECONDS, [])  # connections opened, TLS done, before the clock
        latencies = []
        started = time.monotonic()
        await clients(started + seconds, latencies)
        return len(latencies) / (time.monotonic() - started), latencies


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Workload:
    """The two operations on one site: a GET of the DataController, and a merge patch that changes the bench's
    ConfigMap every time (a patch that changes nothing would cost the server less)."""

    def __init__(self, site):
        self.site = site
        self.data_controllers = "/apis/arcdata.microsoft.com/v5/namespaces/%s/datacontrollers" % site.namespace
        self.configmaps = "/api/v1/namespaces/%s/configmaps" % site.namespace
        self.data_controller = None
        self.patches = 0

    async def prepare(self, session):
        """Learns the DataController's name and creates the ConfigMap."""
        site = self.site
        async with session.get(site.url(self.data_controllers), headers=site.headers, ssl=site.tls) as response:
            self.data_controller = (await response.json())["items"][0]["metadata"]["name"]
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIGMAP}, "data": {"n": "0"}}
        async with session.post(site.url(self.configmaps), json=body, headers=site.headers,
                                ssl=site.tls) as response:
            if response.status != 201:
                raise RuntimeError("creating ConfigMap %s: %s" % (CONFIGMAP, response.status))

    def get(self):
        return "GET", "%s/%s" % (self.data_controllers, self.data_controller), None

    def patch(self):
        self.patches += 1
        return "PATCH", "%s/%s" % (self.configmaps, CONFIGMAP), json.dumps({"data": {"n": str(self.patches)}})


async def _measure(site, seconds, repetitions):
    """{operation: [(requests per second, p50 s, p99 s) per repetition]}"""
    workload = Workload(site)
    async with aiohttp.ClientSession() as session:
        await workload.prepare(session)
    operations = {"GET": workload.get, "PATCH": workload.patch}
    runs = {name: [] for name in operations}
    for unused in range(repetitions):
        for name, operation in operations.items():
            rate, latencies = await _load(site, operation, seconds)
            runs[name].append((rate, _percentile(latencies, 0.5), _percentile(latencies, 0.99)))
    return runs


def run(args):
    result = Result(NAME, TITLE)
    with running_sandbox() as sandbox:
        site = Site(sandbox.sites["primary"])
        runs = asyncio.run(_measure(site, SECONDS[args.quick], args.repetitions))
    for name, measured in runs.items():
        rates = stats.summary([m[0] for m in measured], "requests/s")
        p50 = stats.summary([m[1] * 1000 for m in measured], "ms")
        p99 = stats.summary([m[2] * 1000 for m in measured], "ms")
        result.figures["%s: requests per second" % name] = rates
        result.figures["%s: p50 latency" % name] = p50
        result.figures["%s: p99 latency" % name] = p99
        # at full load the server spends 1/rate per request: what one request of a module run costs it
        result.figures["%s: server ms per request at capacity" % name] = round(1000.0 / rates["median"], 2)
    result.notes.append("server time per request at capacity is in ms; a module run makes 1 to 5 requests, so "
                        "the emulator's share of a task that takes about a second (task_cost) is a few ms")
    result.notes.append("%d clients on kept-alive connections, %.0f s per operation and run, after %.1f s of warm-up; "
                        "GET of the DataController (custom object), JSON merge patch of a ConfigMap; the clients share "
                        "the machine's CPUs with the server, so these are lower bounds"
                        % (CLIENTS, SECONDS[args.quick], WARM_UP_SECONDS))
    return result
