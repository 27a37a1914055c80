"""One site's controller: informers for SqlManagedInstance and the site's DAG kind (FailoverGroup
or the 2022-era Dag), their reconcilers, and the network partition flag."""
import asyncio
import logging

from . import behaviour, dag_spec
from .cluster_ca import ClusterCA
from .dags import DagReconciler
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
        self.instances = self.dags = None
        self._informers = []

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
        sqlmi_kind, dag_kind, parse = await self._kinds()
        state = self.files.controller_state
        self.instances = InstanceReconciler(self.gateway, sqlmi_kind, self.site, state / "instances",
                                            self.cluster_ca, self.timings, self.partition, self.behaviour)
        self.dags = DagReconciler(self.gateway, dag_kind, parse, self.instances, state / "dags", self.timings,
                                  self.behaviour)
        instance_queue = WorkQueue(self.instances.reconcile, "SqlManagedInstance")
        self.dags.queue = WorkQueue(self.dags.reconcile, dag_kind.plural)
        self.instances.on_runtime_change = self.dags.instance_changed
        self.instances.requeue = instance_queue.add

        def instance_changed(name):  # a DAG may be waiting for its instance
            instance_queue.add(name)
            self.dags.instance_changed(name)
        self.instances.informer = Informer(self.gateway, sqlmi_kind, instance_changed)
        self.dags.informer = Informer(self.gateway, dag_kind, self.dags.queue.add)
        asyncio.get_running_loop().create_task(self.partition.watch())
        for informer in (self.instances.informer, self.dags.informer):
            informer.start()
            await informer.synced.wait()
        LOG.info("controller of site %s running (%s, %s; behaviour %s)", self.site.name, sqlmi_kind.plural,
                 dag_kind.plural, self.behaviour.name)

    async def stop(self):
        if self.instances is not None:
            await self.instances.stop_all()
