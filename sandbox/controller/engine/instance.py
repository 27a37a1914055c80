"""One running instance: its database, its client endpoint, its mirroring endpoint and (when a
DAG names it) its mirroring link. Ports are chosen once and kept, so a restarted site publishes
the same endpoints."""
import shutil

from .. import jsonfile
from ..cluster_ca import status_pem
from . import channel
from .client_endpoint import ClientEndpoint
from .database import Database
from .link import MirroringLink


class InstanceRuntime:
    def __init__(self, state_dir, name, namespace, uid, address, cluster_ca, timings, partition):
        self.state_dir = state_dir
        self.name, self.namespace, self.uid, self.address = name, namespace, uid, address
        self.timings, self.partition = timings, partition
        self.cluster_ca = cluster_ca
        self.cert_path, self.key_path = state_dir / "mirroring.crt", state_dir / "mirroring.key"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.certificate = cluster_ca.issue_mirroring_certificate(name, namespace, self.cert_path, self.key_path)
        self.db = Database(state_dir, name)
        self.client = ClientEndpoint(self.db, self.stats)
        self.link = None
        self.dag_name = None  # the DAG resource that owns the link
        self._mirroring_server = None
        self.client_port = self.mirroring_port = None

    async def start(self):
        ports = jsonfile.load(self.state_dir / "ports.json", {})
        self.client_port = await self.client.start(self.address, ports.get("client", 0))
        self._mirroring_server = await channel.start_server(self._accept_mirroring, self.address,
                                                            ports.get("mirroring", 0))
        self.mirroring_port = self._mirroring_server.sockets[0].getsockname()[1]
        jsonfile.save(self.state_dir / "ports.json", {"client": self.client_port, "mirroring": self.mirroring_port})

    async def stop(self, forget=False):
        await self.remove_link()
        await self.client.stop()
        if self._mirroring_server is not None:
            self._mirroring_server.close()
            await self._mirroring_server.wait_closed()
        self.db.close()
        if forget:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    async def _accept_mirroring(self, reader, writer):
        if self.link is None:
            writer.close()  # no failover group: the endpoint accepts no partner
            return
        await self.link.accept(reader, writer)

    def rotate_certificate(self, valid_days=None):
        """A new mirroring certificate and key (valid `valid_days`, or Arc's 5 years). The link's sessions
        restart with it, so a partner still pinning the old certificate refuses the new one, as it would
        on a real site."""
        self.certificate = self.cluster_ca.issue_mirroring_certificate(self.name, self.namespace, self.cert_path,
                                                                       self.key_path, renew=True,
                                                                       valid_days=valid_days)
        if self.link is not None:
            self.link.restart_sessions("this instance's mirroring certificate was rotated")

    # -- the DAG's link -------------------------------------------------------------------------
    def configure_link(self, dag_name, spec, on_change, on_promote_request):
        if self.link is None:
            self.link = MirroringLink(self.db, self.cert_path, self.key_path, self.timings, self.partition,
                                      on_change, on_promote_request)
            self.db.commit_gate = self.link.commit_gate
        self.dag_name = dag_name
        self.link.configure(spec)

    async def remove_link(self):
        if self.link is not None:
            await self.link.stop()
        self.link, self.dag_name = None, None

    # -- published facts --------------------------------------------------------------------------
    @property
    def endpoints(self):
        return {"primary": f"{self.address},{self.client_port}", "mirroring": f"{self.address}:{self.mirroring_port}"}

    @property
    def certificate_pem(self):
        return status_pem(self.certificate)

    def stats(self):
        stats = self.db.stats()
        link = self.link.snapshot() if self.link else {"connected": False, "cause": "no failover group"}
        stats["link"] = link
        stats["partner_hardened_lsn"] = link.get("partner_hardened")
        return stats
