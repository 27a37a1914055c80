"""One running instance: its database, its client endpoints (primary and readable secondary), its
mirroring endpoint and (when a DAG names it) its mirroring link.

The endpoints listen where a real instance's Services do: TDS on 1433 (or spec.services.*.port), mirroring
on 5022, each instance on loopback addresses of its own (addresses.py). An address some other process
holds is skipped for the next one; a port that no address can take (a process listening on it on every
address) is replaced by a free one, with a warning the controller turns into an Event. Addresses and
ports are kept, so a restarted site publishes the same endpoints."""
import errno
import logging
import shutil

from .. import jsonfile
from ..cluster_ca import status_pem
from ..instance_spec import MIRRORING_PORT
from . import channel, licence
from .client_endpoint import ClientEndpoint
from .database import Database
from .link import MirroringLink

LOG = logging.getLogger(__name__)
# addresses tried for an endpoint before falling back to free ports
ADDRESS_ATTEMPTS = 8


class _MirroringListener:
    """The mirroring endpoint's listening socket; each connection goes to `accept`."""

    def __init__(self, accept):
        self._accept, self._server = accept, None

    async def start(self, host, port):
        self._server = await channel.start_server(self._accept, host, port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self):
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


class InstanceRuntime:
    def __init__(self, state_dir, name, namespace, uid, addresses, cluster_ca, timings, partition):
        self.state_dir = state_dir
        self.name, self.namespace, self.uid = name, namespace, uid
        self.addresses = addresses  # the site's AddressBook
        self.timings, self.partition = timings, partition
        self.cluster_ca = cluster_ca
        self.cert_path, self.key_path = state_dir / "mirroring.crt", state_dir / "mirroring.key"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.certificate = cluster_ca.issue_mirroring_certificate(name, namespace, self.cert_path, self.key_path)
        self.db = Database(state_dir, name)
        self.db.on_resync_change = self._resync_changed
        # the licence in force and the controller's rule for it (set by the reconciler from spec and behaviour)
        self.licence, self.licence_rule = "LicenseIncluded", "always"
        self.client = ClientEndpoint(self.db, self.stats, self.client_refusal)
        self.secondary = ClientEndpoint(self.db, self.stats, self.client_refusal, read_only=True)
        self._mirroring = _MirroringListener(self._accept_mirroring)
        self.link = None
        self.dag_name = None  # the DAG resource that owns the link
        self.address = self.secondary_address = None
        self.client_port = self.mirroring_port = self.secondary_port = None
        self.wanted_ports = {}
        self.warnings = []  # endpoints that could not listen where a real instance does
        self.on_sync_change = lambda: None  # the reconciler republishes the instance's HA status

    # -- endpoints --------------------------------------------------------------------------------
    async def start(self, ports):
        """Listen; `ports` are the TDS ports the spec asks for: {"primary": p, "secondary": p}."""
        saved = jsonfile.load(self.state_dir / "ports.json", {})
        self.wanted_ports = dict(ports)
        self.address, (self.client_port, self.mirroring_port) = await self._bind_group(
            "primary", [(self.client, ports["primary"], saved.get("client")),
                        (self._mirroring, MIRRORING_PORT, saved.get("mirroring"))])
        self.secondary_address, (self.secondary_port,) = await self._bind_group(
            "secondary", [(self.secondary, ports["secondary"], saved.get("secondary"))])
        self._save_ports()

    async def change_ports(self, ports):
        """Listen on the TDS ports a changed spec asks for (mirroring stays on 5022); True if any moved."""
        moved = False
        for endpoint, listener, address in (("primary", self.client, self.address),
                                            ("secondary", self.secondary, self.secondary_address)):
            if ports[endpoint] == self.wanted_ports.get(endpoint):
                continue
            await listener.stop()
            port = await self._bind_one(listener, address, ports[endpoint], None)
            if endpoint == "primary":
                self.client_port = port
            else:
                self.secondary_port = port
            moved = True
        self.wanted_ports = dict(ports)
        self._save_ports()
        return moved

    async def _bind_group(self, endpoint, listeners):
        """(address, ports) of listeners that share an address: the endpoint's leased address, or the next one
        when another process holds it there. When none of ADDRESS_ATTEMPTS addresses takes every port (a process
        listening on one of them on all addresses), each port that can be is still used, the others are free
        ones, with a warning."""
        avoid = []
        for unused in range(ADDRESS_ATTEMPTS):
            address = self.addresses.lease(self.uid, endpoint, avoid)
            try:
                return address, await _bind_all(address, [(listener, port) for listener, port, unused in listeners])
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL or self.addresses.shared:
                    self._warn(f"instance {self.name}: its {endpoint} endpoint cannot have an address of its own "
                               f"({address}: {exc.strerror}); it shares the site's address "
                               f"{self.addresses.site_address}")
                    address = self.addresses.site_address
                    break
                if exc.errno != errno.EADDRINUSE:
                    raise
                avoid.append(address)
        else:
            address = self.addresses.lease(self.uid, endpoint)
        return address, [await self._bind_one(listener, address, port, saved) for listener, port, saved in listeners]

    async def _bind_one(self, listener, address, wanted, saved):
        """Listen on `wanted`, else on the port used last time, else on any free port (with a warning)."""
        bound = None
        for port in (wanted, saved):
            if port and bound is None:
                bound = await _start_unless_taken(listener, address, port)
        if bound is None:
            bound = await listener.start(address, 0)
        if bound != wanted:
            self._warn(f"instance {self.name}: port {wanted} is taken on {address}; it listens on {bound} instead")
        return bound

    def _warn(self, text):
        LOG.warning("%s", text)
        self.warnings.append(text)

    def take_warnings(self):
        """The warnings since the last call (each reported once)."""
        taken, self.warnings = self.warnings, []
        return taken

    def _save_ports(self):
        jsonfile.save(self.state_dir / "ports.json", {"client": self.client_port, "mirroring": self.mirroring_port,
                                                      "secondary": self.secondary_port})

    async def stop(self, forget=False):
        await self.remove_link()
        for listener in (self.client, self.secondary, self._mirroring):
            await listener.stop()
        self.db.close()
        if forget:
            self.addresses.release(self.uid)
            shutil.rmtree(self.state_dir, ignore_errors=True)

    async def _accept_mirroring(self, reader, writer):
        if self.link is None:
            writer.close()  # no failover group: the endpoint accepts no partner
            return
        await self.link.accept(reader, writer)

    def client_refusal(self):
        """Why client connections are refused now (the DR licence), or None."""
        return licence.client_refusal(self.name, self.licence, self.db.role, self.licence_rule)

    def rotate_certificate(self, valid_days=None):
        """A new mirroring certificate and key (valid `valid_days`, or Arc's 5 years). The link's sessions
        restart with it, so a partner still pinning the old certificate refuses the new one, as it would
        on a real site."""
        self.certificate = self.cluster_ca.issue_mirroring_certificate(self.name, self.namespace, self.cert_path,
                                                                       self.key_path, renew=True,
                                                                       valid_days=valid_days)
        if self.link is not None:
            self.link.restart_sessions("this instance's mirroring certificate was rotated")

    def _resync_changed(self):
        """The database started or ended catching up after a discard: both statuses say so."""
        if self.link is not None:
            self.link.notify_change()
        self.on_sync_change()

    # -- the DAG's link -------------------------------------------------------------------------
    def configure_link(self, dag_name, spec, on_change, on_promote_request):
        if self.link is None:
            self.link = MirroringLink(self.db, self.cert_path, self.key_path, self.timings, self.partition,
                                      on_change, on_promote_request)
            self.db.commit_gate = self.link.commit_gate
        self.link.rebind(on_change, on_promote_request)  # the controller that runs now (it may have restarted)
        self.dag_name = dag_name
        self.link.configure(spec)

    def detach(self):
        """The controller stopped: nothing reports to it any more (the engine and its link run on)."""
        self.on_sync_change = lambda: None
        if self.link is not None:
            self.link.rebind(None, None)

    async def remove_link(self):
        if self.link is not None:
            await self.link.stop()
        self.link, self.dag_name = None, None

    # -- published facts --------------------------------------------------------------------------
    @property
    def endpoints(self):
        """status.endpoints as a real instance publishes them: "ip,port" for TDS, "ip:port" for mirroring."""
        return {"primary": f"{self.address},{self.client_port}",
                "secondary": f"{self.secondary_address},{self.secondary_port}",
                "mirroring": f"{self.address}:{self.mirroring_port}"}

    @property
    def certificate_pem(self):
        return status_pem(self.certificate)

    def stats(self):
        stats = self.db.stats()
        link = self.link.snapshot() if self.link else {"connected": False, "cause": "no failover group"}
        stats["link"] = link
        stats["partner_hardened_lsn"] = link.get("partner_hardened")
        stats["licence_type"] = self.licence
        stats["clients_refused"] = self.client_refusal()
        return stats


async def _start_unless_taken(listener, address, port):
    """The port, once listening on it; None when another socket holds it."""
    try:
        return await listener.start(address, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        return None


async def _bind_all(address, listeners):
    """Start every (listener, port) on `address`, or none of them (the first error is raised)."""
    started = []
    try:
        for listener, port in listeners:
            started.append(await listener.start(address, port))
    except OSError:
        for listener, unused in listeners[:len(started)]:
            await listener.stop()
        raise
    return started
