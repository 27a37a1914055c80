"""One site's controller: informers for SqlManagedInstance and the site's DAG kind (FailoverGroup
or the 2022-era Dag), their reconcilers, and the network partition flag.

The process also runs the site's SQL engines (the instances' pods). The controller proper (informers, work
queues, reconcilers and the role changes they drive) can be stopped and started again while the engines run on,
as Kubernetes reschedules an Arc controller pod without touching the SQL pods: nothing of it survives but what
it wrote to the API and its own database (controller_state), and the engines it finds running."""
import asyncio
import logging

from . import behaviour, dag_spec
from .cluster_ca import ClusterCA
from .dags import DagReconciler
from .engine.addresses import AddressBook
from .instances import InstanceReconciler
from .kube import Informer, KubeGateway
from .partition import Partition
from .settings import Timings
from .workqueue import WorkQueue

LOG = logging.getLogger(__name__)
SQLMI_CRD = "sqlmanagedinstances.sql.arcdata.microsoft.com"
# the current FailoverGroup first; a site of the 2022-01 profile serves the Dag kind instead
DAG_KINDS = (("failovergroups.sql.arcdata.microsoft.com", dag_spec.from_failover_group),
             ("dags.sql.arcdata.microsoft.com", dag_spec.from_dag))


class Controller:
    def __init__(self, files, site):
        self.files, self.site = files, site
        self.timings = Timings.from_dict(site.timings)
        self.behaviour = behaviour.profile(site.behaviour)
        state = files.controller_state
        state.mkdir(parents=True, exist_ok=True)
        self.gateway = KubeGateway(files.kubeconfig, site.context, site.namespace)
        self.cluster_ca = ClusterCA(state)
        self.partition = Partition(files.runtime_dir / "partitioned")
        # the engines (pods) and the addresses they hold: these outlive a restart of the controller proper
        self.engines = {}
        self.addresses = AddressBook(state / "instances" / "addresses.json", site.address)
        self.instances = self.dags = None
        self._queues, self._informers = [], []

    @property
    def running(self):
        return self.instances is not None

    async def _kinds(self):
        """Ask the API (until it answers) which kinds it serves, at their storage versions."""
        while True:
            try:
                sqlmi = await asyncio.to_thread(self.gateway.kind, SQLMI_CRD)
                for crd, parse in DAG_KINDS:
                    dag_kind = await asyncio.to_thread(self.gateway.kind, crd)
                    if dag_kind is not None:
                        return sqlmi, dag_kind, parse
                raise RuntimeError("neither FailoverGroup nor Dag is served")
            except Exception as exc:  # pylint: disable=broad-except
                LOG.info("waiting for the site's API: %s", exc)
                await asyncio.sleep(0.5)

    async def run(self):
        asyncio.get_running_loop().create_task(self.partition.watch())
        await self.start()

    async def start(self):
        """Start the controller proper: learn the kinds, list and watch them, reconcile what it finds."""
        sqlmi_kind, dag_kind, parse = await self._kinds()
        state = self.files.controller_state
        instances = InstanceReconciler(self.gateway, sqlmi_kind, self.site, state / "instances", self.cluster_ca,
                                       self.timings, self.partition, self.behaviour, self.engines, self.addresses)
        dags = DagReconciler(self.gateway, dag_kind, parse, instances, state / "dags", self.timings, self.behaviour)
        instance_queue = WorkQueue(instances.reconcile, "SqlManagedInstance")
        dags.queue = WorkQueue(dags.reconcile, dag_kind.plural)
        instances.on_runtime_change = dags.instance_changed
        instances.requeue = instance_queue.add

        def instance_changed(name):  # a DAG may be waiting for its instance
            instance_queue.add(name)
            dags.instance_changed(name)
        instances.informer = Informer(self.gateway, sqlmi_kind, instance_changed)
        dags.informer = Informer(self.gateway, dag_kind, dags.queue.add)
        self.instances, self.dags = instances, dags
        self._queues, self._informers = [instance_queue, dags.queue], [instances.informer, dags.informer]
        for informer in self._informers:
            informer.start()
            await informer.synced.wait()
        LOG.info("controller of site %s running (%s, %s; behaviour %s)", self.site.name, sqlmi_kind.plural,
                 dag_kind.plural, self.behaviour.name)

    def halt(self):
        """The controller proper dies at once (its pod killed): informers, queues and the role changes it drives
        stop where they are; the engines run on, reporting to nobody until a controller starts again."""
        if not self.running:
            return
        for informer in self._informers:
            informer.stop()
        for queue in self._queues:
            queue.close()
        self.dags.stop()
        self.instances.detach()
        self.instances = self.dags = None
        self._queues, self._informers = [], []
        LOG.info("controller of site %s stopped; %d engine(s) run on", self.site.name, len(self.engines))

    async def stop(self):
        """The whole process ends: the controller and the engines."""
        engines = list(self.engines.values())
        self.halt()
        for runtime in engines:
            await runtime.stop()
        self.engines.clear()
