# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a site keeps the DR lock and the handover record.

With a Kubernetes API to reach (the kubeconfig or host option), they stay on the Kubernetes side in either
connection mode: the lock a Lease, the record an annotation and an Event on the DAG resource; on a direct-mode site
that resource is the FailoverGroup custom resource Resource Manager made, whose name is a generated UUID, so it is
found as `az` finds it: by spec.sourceMI (this site's instance) and spec.sharedName (the failover group's name).
Without one, in direct mode, they are tags of the site's SQL managed instance resource (dr_lock_tag.py,
handover_tag.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .errors import InvalidInput
from .transport import choose_mode

KUBERNETES = "kubernetes"
AZURE_TAGS = "azure tags"


class RecordPlace(object):
    """`kind` (KUBERNETES or AZURE_TAGS) and the transport.ModeChoice of the site."""

    def __init__(self, kind, mode):
        self.kind, self.mode = kind, mode

    @property
    def tags(self):
        return self.kind == AZURE_TAGS


def kubernetes_options_given(params):
    return bool(params.get("kubeconfig") or params.get("host"))


def record_place(arc):
    """Connect the module (arc_module.ArcModule) to where the site's records live and say where that is."""
    if kubernetes_options_given(arc.params):
        arc.connect()
        site = arc.current_site

        def read_controller():
            return site.data_controller(), site.label
        return RecordPlace(KUBERNETES, choose_mode(arc.params, read_controller))
    mode = arc.connect_either()
    return RecordPlace(AZURE_TAGS if mode.direct else KUBERNETES, mode)


def require_instance(params, purpose):
    """The `instance` option, which direct mode needs to find the records; InvalidInput naming it when unset."""
    if not params.get("instance"):
        raise InvalidInput("instance is not set: in direct connection mode %s; set instance to this site's SQL managed "
                           "instance" % purpose, option="instance")
    return params["instance"]


def failover_group_resource(dags, instance, shared_name):
    """The name of the FailoverGroup custom resource of `instance` whose spec.sharedName is `shared_name` (a resource
    of that very name, made through the Kubernetes API, counts too); InvalidInput naming both when none is."""
    items = dags.list().get("items") or []
    for obj in items:
        spec, name = obj.get("spec") or {}, obj["metadata"]["name"]
        if name == shared_name or (spec.get("sourceMI") == instance and spec.get("sharedName") == shared_name):
            return name
    raise InvalidInput("%s: no FailoverGroup resource has spec.sourceMI %r and spec.sharedName %r (in direct mode its "
                       "name is a generated UUID; it is looked up as `az sql instance-failover-group-arc` does): check "
                       "name (the failover group's name in Azure) and instance" % (
                           dags.caller.site, instance, shared_name), option="name", value=shared_name)
