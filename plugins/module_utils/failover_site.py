# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site of a DR pair as a transition (failover.py) uses it, through the transport the site uses.

Each gives the same four things: the DAG side to read, change and wait on (DagSide or DirectDagSide), where the
pair's DR lock lives, where a handover record is written and read, and the Events of the site's instance where
there are any.

    indirect   the Kubernetes API: the DAG resource, a Lease, an annotation and an Event on the DAG resource
    direct     Azure Resource Manager for the failover group; the lock and the record stay on the Kubernetes side
               when a kubeconfig is given (the FailoverGroup custom resource found by spec.sourceMI), else they are
               tags of the site's SQL managed instance resource (record_place.py)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import handover, handover_tag
from .azure_libraries import missing_azure_library
from .dag_side import DagSide
from .dag_side_direct import DirectDagSide
from .direct_site import DirectSite
from .dr_lock import now_utc
from .dr_lock_tag import TagLeases
from .errors import InvalidInput
from .record_place import failover_group_resource, kubernetes_options_given
from .transport import INDIRECT, ModeChoice, azure_given, choose_mode

FAILOVER_GROUP = "FailoverGroup"


class KubernetesPairSite(object):
    """A site reached through its Kubernetes API (indirect connection mode)."""

    direct = False

    def __init__(self, site, side):
        self.site, self.side = site, side

    def lock_store(self, holder):
        """(the Leases the DR lock is kept in, the clock its times are written with)."""
        return self.site.leases(), now_utc

    def write_record(self, record, dry_run=False):
        return handover.write(self.side.dags, self.site.events(), self.side.name, record, dry_run=dry_run)

    def read_record(self, obj):
        return handover.parse((obj or {}).get("metadata", {}).get("annotations"))

    def events(self):
        return self.site.events()

    @property
    def instance(self):
        return None


class DirectPairSite(object):
    """A site in direct connection mode: its failover group through Azure Resource Manager, and `kube_site` (a
    site.Site, or None without a kubeconfig) for the lock, the record and the Events."""

    direct = True

    def __init__(self, direct_site, side, kube_site=None, shared_name=None):
        self.direct_site, self.side, self.kube_site = direct_site, side, kube_site
        self.shared_name = shared_name or side.name  # spec.sharedName: the DAG name both sides share

    @property
    def instance(self):
        return self.side.instance

    def lock_store(self, holder):
        if self.kube_site is not None:
            return self.kube_site.leases(), now_utc
        leases = TagLeases(self.direct_site.arc_data, self.instance, holder)
        return leases, leases.now

    def write_record(self, record, dry_run=False):
        if self.kube_site is not None:
            dags = self._custom_resources()
            name = failover_group_resource(dags, self.instance, self.shared_name)
            return handover.write(dags, self.kube_site.events(), name, record, dry_run=dry_run)
        return handover_tag.write(handover_tag.instance_tag(self.direct_site.arc_data, self.instance), record,
                                  dry_run=dry_run)

    def read_record(self, obj):
        if self.kube_site is not None:
            dags = self._custom_resources()
            found = dags.get(failover_group_resource(dags, self.instance, self.shared_name))
            return handover.parse(((found or {}).get("metadata") or {}).get("annotations"))
        return handover_tag.read(self.direct_site.arc_data.get_instance(self.instance))

    def events(self):
        return self.kube_site.events() if self.kube_site is not None else None

    def _custom_resources(self):
        unused, dags = self.kube_site.dag_resources(FAILOVER_GROUP, None, self.side.name)
        return dags


def kubernetes_site(options, connect):
    """The site's Kubernetes API (connect(options) -> site.Site), or None for a direct-mode site without one."""
    if options.get("connection_mode") == "direct" and not kubernetes_options_given(options):
        return None
    return connect(options)


def _mode(options, kube_site):
    """The site's transport.ModeChoice. Without connection_mode and Azure options only indirect mode can work, so
    the data controller is not read for it: a lost site's read must not cost its retries twice."""
    if not options.get("connection_mode") and not azure_given(options):
        return ModeChoice(INDIRECT, "connection_mode is not set and no Azure option is given")
    return choose_mode(options, lambda: (kube_site.data_controller(), kube_site.label) if kube_site else (None, None))


def open_pair_site(options, kube_site, side_options, shared_name=None):
    """The pair site for a site's `options` (arc_failover's sites[] entry) and its Kubernetes API `kube_site` (or
    None); `side_options` are the DagSide keyword arguments (check_mode, wait_timeout, warn, diff, ...);
    `shared_name` the DAG name both sides share (a direct-mode FailoverGroup custom resource's spec.sharedName)."""
    mode = _mode(options, kube_site)
    if not mode.direct:
        if kube_site is None:
            raise InvalidInput("site %s: no Kubernetes API to reach (%s): give its kubeconfig, or connection_mode "
                               "direct with the Azure options" % (options["name"], mode.reason), option="sites")
        side = DagSide(kube_site, options["dag_resource"], side_options.pop("api_kind"),
                       side_options.pop("api_version"), **side_options)
        return KubernetesPairSite(kube_site, side)
    missing = missing_azure_library()
    if missing:
        raise InvalidInput("site %s is in direct connection mode (%s), which needs the Python package %s on the "
                           "control node: %s" % (options["name"], mode.reason, missing[0], missing[1]),
                           option="sites")
    side_options.pop("api_kind")
    side_options.pop("api_version")
    direct_site = DirectSite.connect(options, side_options.get("wait_timeout", 600))
    side = DirectDagSide(direct_site, options["dag_resource"], local_instance=options.get("instance"),
                         **side_options)
    return DirectPairSite(direct_site, side, kube_site, shared_name)
