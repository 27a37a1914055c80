#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_dag_info
short_description: Read the distributed availability group resources of an Arc site
version_added: 1.0.0
description:
  - Reads one DAG resource by O(name), or all in the namespace, as C(FailoverGroup) or the legacy C(Dag) (detected
    from what the site serves), and returns for each the role (C(status.role), the truth), state, results, health,
    per-replica connection and synchronisation, the sync mode, the partner, and the fingerprint of the partner
    certificate it pins, so a playbook can compare it with the partner instance's current certificate.
  - In direct connection mode (O(connection_mode), detected when not set) it reads the Azure Resource Manager failover
    groups (C(sqlManagedInstances/<instance>/failoverGroups)) of O(local_instance), or of every instance of
    O(resource_group), and summarises the status they project the same way; waits poll Resource Manager, which has
    no watch. RV(dags[].handover) is then null (handover records are custom-resource annotations).
  - Where the data controller chose direct mode (O(connection_mode) not set) but the Azure options are missing, the
    custom resources are read through the Kubernetes API instead, under their generated names, with a warning.
  - With O(wait=true) it first waits, watching the resource, until it meets O(wait_condition) (by default Succeeded
    and connected for its generation), so a play needs no C(until) loop after an M(arcdata.sqlmi.arc_dag) task run
    with C(wait=false), or while the partner's controller changes this side.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.info_wait
  - arcdata.sqlmi.attributes
  - arcdata.sqlmi.dag_kind
  - arcdata.sqlmi.azure
attributes:
  check_mode:
    support: full
    details: Read only. O(wait) is ignored in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the DAG resource; all of the namespace when omitted.
      - In direct mode, the failover group's Azure Resource Manager name.
    type: str
  local_instance:
    description:
      - Direct mode only. The instance whose failover groups are read (the C(az sql instance-failover-group-arc
        show --mi) option).
      - When omitted, every instance of O(resource_group) is looked at. It is required to wait for a failover group
        that does not exist yet.
    type: str
  wait_condition:
    description:
      - What O(wait=true) waits for. Each is judged against the generation the resource carries when it is seen;
        where it reports C(status.observedGeneration), that must have caught up with C(metadata.generation), so a
        C(Succeeded) left over from before a change does not count (no real C(FailoverGroup) dump shows
        C(observedGeneration); where it is absent, the state is taken as it is). States compare case-insensitively.
      - C(connected) - C(status.state) is C(Succeeded) and every C(status.replicas[].connectedState) is C(CONNECTED)
        (what RV(dags[].linked) reports). A controller that reports no C(status.replicas) leaves the link's state
        unknown, and the wait then ends at C(Succeeded), with RV(dags[].linked) null and a warning. A C(Failed) state
        does not end the wait, as a new side reports it until its partner's side exists.
      - C(synchronized) - C(connected), and every replica that reports a C(synchronizationState) says C(HEALTHY)
        (a site rejoined after a forced failover catches up before it is).
      - C(primary) or C(secondary) - C(status.role) is C(Primary) (or C(Secondary)) and C(status.state) is
        C(Succeeded). For a side whose role the partner's controller changes (the other site of a planned
        failover), so no state ends the wait early; only the role, the site, or the time.
      - C(absent) - the resource no longer exists; RV(dags) is then empty.
      - A resource that does not exist yet is waited for, except with C(absent).
    type: str
    choices: [absent, connected, primary, secondary, synchronized]
    default: connected
    version_added: 2.0.0
seealso:
  - module: arcdata.sqlmi.arc_dag
"""

EXAMPLES = r"""
- name: Which site is primary?
  arcdata.sqlmi.arc_dag_info:
    name: dagsecondary
  register: dag

- name: Report
  ansible.builtin.debug:
    msg: "{{ dag.dags[0].local_instance }} is {{ dag.dags[0].role }} ({{ dag.dags[0].state }})"

- name: Wait until the other site reports the primary role (at most 10 minutes)
  arcdata.sqlmi.arc_dag_info:
    name: dagsecondary
    wait: true
    wait_condition: primary
    wait_timeout: 600
"""

RETURN = r"""
dags:
  description: One summary per DAG resource (empty when O(name) does not exist).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the resource.
      type: str
    dag_name:
      description: The distributed availability group's name (shared by both sites).
      type: str
    local_instance:
      description: This site's instance.
      type: str
    remote_instance:
      description: The partner's instance.
      type: str
    remote_mirroring_url:
      description: The partner endpoint this side connects to.
      type: str
    sync_mode:
      description: C(async) or C(sync).
      type: str
    spec_role:
      description: C(spec.role), which the partner's controller may have rewritten during a switch.
      type: str
    role:
      description: C(status.role), the role this side actually has (C(Primary), C(Secondary), C(Unknown)), whatever
        case the controller writes it in.
      type: str
    state:
      description: C(status.state).
      type: str
    status_results:
      description: C(status.results), empty on success, the controller's explanation otherwise (named as in
        M(arcdata.sqlmi.arc_dag), where Ansible reserves C(results)).
      type: str
    message:
      description: C(status.message), the controller's explanation where it writes one there.
      type: str
      version_added: 2.0.0
    health:
      description: C(status.healthState).
      type: str
    connected:
      description:
        - Whether every replica entry reports C(CONNECTED); null when the controller reports no replicas (the
          link's state is then unknown).
      type: bool
    linked:
      description:
        - Whether this side is C(Succeeded) for its current generation (where it reports C(observedGeneration))
          and every replica is C(CONNECTED), the rule O(wait_condition=connected) waits for; null when it is
          C(Succeeded) for it but the controller reports no replicas (the link's state is unknown, not assumed up).
      type: bool
      version_added: 2.0.0
    replicas:
      description: C(status.replicas).
      type: list
      elements: dict
    partner_certificate:
      description: Fingerprint and validity of the partner certificate this side pins, or null.
      type: dict
    generation:
      description: C(metadata.generation).
      type: int
    observed_generation:
      description: C(status.observedGeneration).
      type: int
    handover:
      description: The latest handover record on this resource (see M(arcdata.sqlmi.arc_handover)), or null (always
        null in direct mode).
      type: dict
    resource_id:
      description: The failover group's Azure Resource Manager ID.
      returned: in direct mode
      type: str
connection_mode:
  description: C(direct) when the module read through Azure Resource Manager.
  returned: in direct mode
  type: str
api_kind:
  description: The kind read, C(FailoverGroup) or C(Dag).
  returned: always
  type: str
api_version:
  description: The version used.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for O(wait_condition) (0 when it held at the first read).
  returned: when O(wait=true), outside check mode
  type: float
  sample: 3.2
  version_added: 2.0.0
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, connection, handover_tag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_failover_groups import (
    ArmFailoverGroups, every_failover_group, instances_holding)
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize, summarize_arm
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import read_for_info


def run(arc):
    try:
        if arc.connect_either(arc.params["wait_timeout"]).direct:
            return run_direct(arc)
    except InvalidInput:
        if arc.mode is None or arc.mode.controller is None or arc.current_site is None:
            raise
        # the data controller chose direct mode and no Azure options are given: a read works through the Kubernetes
        # API too (the custom resources exist there, under generated names), so read there, as before direct mode
        arc.module.warn("%s; the failover groups are read through the Kubernetes API instead, where their names are "
                        "generated (set the Azure options to read them by their Resource Manager names)"
                        % arc.mode.reason)
    if arc.params.get("local_instance"):
        raise InvalidInput("local_instance only works in direct connection mode: remove it", option="local_instance")
    layout, dags = arc.dag_resources(arc.params["api_kind"], arc.params["api_version"], arc.params["name"])
    result = {"changed": False, "api_kind": layout, "api_version": dags.version}
    found = read_for_info(dags, arc.params, arc.check_mode, conditions.DAG_WAIT_CONDITIONS, result)
    result["dags"] = [summarize(o, layout) for o in found]
    _warn_when_the_link_is_unknown(arc, result, dags)
    return result


def run_direct(arc):
    """The failover groups through Azure Resource Manager."""
    params, site = arc.params, arc.direct_site
    site.check_scope()
    arc_data = site.arc_data
    result = {"changed": False, "api_kind": "FailoverGroup", "api_version": arc_data.api_version,
              "connection_mode": "direct"}
    if not params["name"]:
        result["dags"] = _summaries(arc_data, every_failover_group(arc_data, site.label, params["local_instance"]))
        return result
    instance = params["local_instance"] or _holder(arc, arc_data)
    dags = ArmFailoverGroups(arc_data, instance, site.label)
    found = read_for_info(dags, params, arc.check_mode, conditions.DAG_WAIT_CONDITIONS, result) if instance else []
    result["dags"] = _summaries(arc_data, found)
    _warn_when_the_link_is_unknown(arc, result, dags)
    return result


def _summaries(arc_data, found):
    """Each failover group's summary, with its ARM ID (its instance is spec.sourceMI, filled from the URL) and the
    handover record its instance resource carries as a tag, if any (one read per instance)."""
    records = {}
    for instance in set(o["spec"].get("sourceMI") for o in found):
        records[instance] = handover_tag.read(arc_data.get_instance(instance)) if instance else None
    return [summarize_arm(o, arc_data.failover_group_id(o["spec"].get("sourceMI"), o["metadata"]["name"]),
                          tag_record=records.get(o["spec"].get("sourceMI"))) for o in found]


def _holder(arc, arc_data):
    """The one instance of the resource group with a failover group of that name; None when none has one (unless
    a wait for it to appear needs to know where)."""
    holders = instances_holding(arc_data, arc.params["name"])
    if len(holders) > 1:
        raise InvalidInput("failover group %s: the instances %s each have one of that name: set local_instance" % (
            arc.params["name"], ", ".join(holders)), option="local_instance")
    if not holders and arc.params["wait"] and arc.params["wait_condition"] != "absent" and not arc.check_mode:
        raise InvalidInput("failover group %s does not exist on any instance of resource group %s: set local_instance "
                           "to wait for it to appear" % (arc.params["name"], arc_data.resource_group),
                           option="local_instance")
    return holders[0] if holders else None


def _warn_when_the_link_is_unknown(arc, result, dags):
    waited_for_the_link = arc.params["wait"] and arc.params["wait_condition"] == "connected" and not arc.check_mode
    if waited_for_the_link and result["dags"] and result["dags"][0]["linked"] is None:
        arc.module.warn("%s: %s reports no status.replicas, so whether its link to the partner is up is unknown "
                        "(not assumed): check it with the controller's own tools" % (arc.site, dags.describe(
                            arc.params["name"])))


def main():
    argument_spec = dict(DAG_KIND_ARGS, name=dict(type="str"), local_instance=dict(type="str"),
                         wait_condition=dict(type="str", default="connected",
                                             choices=sorted(conditions.DAG_WAIT_CONDITIONS)))
    argument_spec.update(connection.INFO_WAIT_ARGS)
    ArcModule(argument_spec, wait=False, azure=True, required_if=[("wait", True, ["name"])]).run(run)


if __name__ == "__main__":
    main()
