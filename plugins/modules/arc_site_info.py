#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_site_info
short_description: Read one site of an Arc SQL Managed Instance DR pair in one run
version_added: 2.0.0
description:
  - Reads what a DR pair's checks need to know about one site, in one module run - its instance, its DAG resource
    and whether the namespace's Arc data controller would accept the collection's writes - and says what it found.
  - The instance and the DAG resource are summarised as M(arcdata.sqlmi.arc_sqlmi_info) and
    M(arcdata.sqlmi.arc_dag_info) return them; either is null when it does not exist.
  - In direct connection mode (O(connection_mode), detected when not set) the instance and its failover group
    O(dag_resource) (C(sqlManagedInstances/<instance>/failoverGroups/<dag_resource>)) are read through Azure Resource
    Manager and summarised the same way, and RV(data_controller) says whether the Azure options reach the site's
    resource group (the writes go through Resource Manager there).
  - The data controller is checked as the writing modules check it before writing (it exists, in indirect
    connection mode). The verdict is returned, not raised, so that a pair's check can name every problem of both
    sites before anything is written.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.dag_kind
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
attributes:
  check_mode:
    support: full
    details: Read only.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  instance:
    description: Name of the site's SQL Managed Instance.
    type: str
    required: true
  dag_resource:
    description:
      - Name of the site's DAG resource (C(FailoverGroup) or C(Dag)); not read when omitted.
      - In direct mode, the Azure Resource Manager name of O(instance)'s failover group.
    type: str
seealso:
  - module: arcdata.sqlmi.arc_sqlmi_info
  - module: arcdata.sqlmi.arc_dag_info
"""

EXAMPLES = r"""
- name: Read this site of the pair
  arcdata.sqlmi.arc_site_info:
    instance: sqlprimary
    dag_resource: dagprimary
  register: site

- name: Say what the site reports
  ansible.builtin.debug:
    msg: "{{ site.instance.state }}, DAG role {{ site.dag.role if site.dag else 'none' }}"
"""

RETURN = r"""
instance:
  description: The instance, summarised as an item of RV(arcdata.sqlmi.arc_sqlmi_info#module:instances); null when it
    does not exist.
  returned: always
  type: dict
dag:
  description: The DAG resource, summarised as an item of RV(arcdata.sqlmi.arc_dag_info#module:dags); null when it does
    not exist or O(dag_resource) is omitted.
  returned: always
  type: dict
connection_mode:
  description: C(direct) when the module read through Azure Resource Manager.
  returned: in direct mode
  type: str
api_kind:
  description: The kind the DAG resource was read as, C(FailoverGroup) or C(Dag).
  returned: when O(dag_resource) is given
  type: str
placement:
  description:
    - Where the site's instances live, so that the two sites of a DR pair can be told apart (the C(distinct) check
      of the P(arcdata.sqlmi.dr_site_problems#filter) filter). Keys the module cannot know are null.
  returned: always
  type: dict
  contains:
    custom_location:
      description: The resource ID of the custom location (the O(custom_location) option's, else the existing
        instance's); direct mode only.
      type: str
    cluster:
      description: The connected cluster the custom location is on (its C(hostResourceId)); direct mode only.
      type: str
    custom_location_namespace:
      description: The namespace the custom location maps to; direct mode only.
      type: str
    server:
      description: The Kubernetes API URL the kubeconfig reaches; null without a kubeconfig.
      type: str
    namespace:
      description: The namespace of the site's Arc data controller on that Kubernetes API; null without a kubeconfig.
      type: str
data_controller:
  description: Whether the namespace's Arc data controller would accept the collection's writes.
  returned: always
  type: dict
  contains:
    usable:
      description: True when it exists and is in indirect connection mode; in direct mode, when the Azure options
        reach the site's subscription and resource group and the O(custom_location), when given, exists.
      type: bool
    problem:
      description: Why not, naming the site and the namespace; null when usable.
      type: str
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import handover_tag, instance_summary, site_placement
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_failover_groups import ArmFailoverGroups
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_instances import ArmInstances
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize as summarize_dag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize_arm
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS, SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.sqlmi_arm import custom_location_of


def run(arc):
    try:
        if arc.connect_either().direct:
            return run_direct(arc)
    except InvalidInput as exc:
        if arc.mode is None or arc.mode.controller is None or arc.current_site is None:
            raise
        # the data controller chose direct mode, and the Azure options to follow it are missing: the Kubernetes side
        # is still read, and the verdict says why the collection cannot write there as things stand
        return run_indirect(arc, {"usable": False, "problem": exc.message})
    return run_indirect(arc, data_controller_verdict(arc))


def run_indirect(arc, verdict):
    params = arc.params
    obj = arc.resources(SQL_MANAGED_INSTANCE, name=params["instance"]).get(params["instance"])
    result = {"changed": False, "instance": instance_summary.summarize(obj) if obj else None, "dag": None,
              "data_controller": verdict, "placement": kubernetes_placement(arc)}
    if params["dag_resource"]:
        layout, dags = arc.dag_resources(params["api_kind"], params["api_version"], params["dag_resource"])
        dag = dags.get(params["dag_resource"])
        result.update(api_kind=layout, dag=summarize_dag(dag, layout) if dag else None)
    return result


def run_direct(arc):
    """The instance and its failover group through Azure Resource Manager; the verdict is whether the Azure options
    reach the resource group (the check the writing modules make first)."""
    params, site = arc.params, arc.direct_site
    try:
        site.check_scope()
    except InvalidInput as exc:
        return {"changed": False, "instance": None, "dag": None, "connection_mode": "direct",
                "data_controller": {"usable": False, "problem": exc.message}, "placement": kubernetes_placement(arc)}
    instances = ArmInstances(site)
    obj = instances.get(params["instance"])
    result = {"changed": False, "instance": instance_summary.summarize(obj) if obj else None, "dag": None,
              "connection_mode": "direct", "data_controller": {"usable": True, "problem": None}}
    try:
        result["placement"] = direct_placement(arc, instances.last_resource)
    except InvalidInput as exc:  # a custom_location that does not exist: the writing modules would refuse it
        result.update(data_controller={"usable": False, "problem": exc.message},
                      placement=kubernetes_placement(arc))
    if params["dag_resource"]:
        dags = ArmFailoverGroups(site.arc_data, params["instance"], site.label)
        dag = dags.get(params["dag_resource"]) if obj else None
        result.update(api_kind="FailoverGroup",
                      dag=summarize_arm(dag, dags.resource_id(params["dag_resource"]),
                                        tag_record=handover_tag.read(instances.last_resource)) if dag else None)
    return result


def kubernetes_placement(arc):
    """Where the kubeconfig puts the site (its API server and namespace); nothing of it without a kubeconfig."""
    site = arc.current_site
    if site is None:
        return site_placement.placement()
    return site_placement.placement(server=site.client.configuration.host, namespace=site.namespace)


def direct_placement(arc, instance_resource):
    """The custom_location option's custom location, else the existing instance's; with the kubeconfig's place
    too when one is given."""
    site = arc.direct_site
    if arc.params.get("custom_location"):
        custom_location = site.custom_location()
    else:
        resource_id = custom_location_of(instance_resource)
        custom_location = site.custom_location_by_id(resource_id) if resource_id else None
    kubernetes = kubernetes_placement(arc)
    return site_placement.placement(custom_location, kubernetes["server"], kubernetes["namespace"])


def data_controller_verdict(arc):
    """The check arc_sqlmi and arc_dag make before writing, returned rather than raised."""
    try:
        arc.check_data_controller()
    except InvalidInput as exc:
        return {"usable": False, "problem": exc.message}
    return {"usable": True, "problem": None}


def main():
    ArcModule(dict(DAG_KIND_ARGS, instance=dict(type="str", required=True), dag_resource=dict(type="str")),
              wait=False, azure=True).run(run)


if __name__ == "__main__":
    main()
