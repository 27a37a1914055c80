# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What arc_dag_info returns for one DAG resource: its role, state and health as a playbook checks them.

arc_sqlmi_info returns the same summary when it reads a site's DAG resource with its instance."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import certificates, conditions, dag_spec, dag_status, handover


def summarize(obj, layout):
    """The summary of a FailoverGroup or Dag object (layout names which)."""
    status = obj.get("status") or {}
    fields = dag_spec.from_spec(obj.get("spec") or {}, layout)
    return {
        "name": obj["metadata"]["name"],
        "dag_name": fields["dag_name"],
        "local_instance": fields["local_instance"],
        "remote_instance": fields["remote_instance"],
        "remote_mirroring_url": fields["remote_mirroring_url"],
        "sync_mode": (fields["sync_mode"] or "async").lower(),
        "spec_role": fields["role"],
        "role": dag_status.role(obj),
        "state": status.get("state"),
        "status_results": status.get("results"),
        "message": status.get("message"),
        "health": status.get("healthState"),
        "connected": dag_status.link(obj),
        "linked": conditions.linked_for_its_generation(obj),
        "replicas": status.get("replicas") or [],
        "partner_certificate": certificates.facts(fields["remote_mirroring_cert"]),
        "generation": obj["metadata"].get("generation"),
        "observed_generation": status.get("observedGeneration"),
        "handover": handover.parse(obj["metadata"].get("annotations")),
    }


def summarize_arm(obj, resource_id, tag_record=None):
    """The summary of a failover group read through Azure Resource Manager (its custom resource, as
    failover_group_arm.custom_resource shapes it): the same keys and its ARM ID. Its handover record is the latest of
    the annotation the projected custom resource carries (written through the Kubernetes API) and `tag_record`, the
    one its instance resource carries as a tag (written without a kubeconfig)."""
    summary = summarize(obj, "FailoverGroup")
    summary.update(handover=handover.latest([summary.get("handover"), tag_record]), resource_id=resource_id)
    return summary
