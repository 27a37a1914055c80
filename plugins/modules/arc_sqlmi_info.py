#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_sqlmi_info
short_description: Read Azure Arc-enabled SQL Managed Instances and summarise their status
version_added: 1.0.0
description:
  - Reads one C(SqlManagedInstance) by O(name), or all of them in the namespace, through the Kubernetes API, and
    returns for each a summary a playbook can check without digging (state, replicas, endpoints, high
    availability health, and the mirroring certificate's fingerprint and expiry).
  - With O(wait=true) it first waits, watching the instance, until it meets O(wait_condition) (by default Ready for
    its generation), so a play needs no C(until) loop after an M(arcdata.sqlmi.arc_sqlmi) task run with
    C(wait=false).
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.info_wait
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Read only. O(wait) is ignored in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation
      indicates no change.
    support: full
options:
  name:
    description: Name of the instance; all instances of the namespace when omitted.
    type: str
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred the site serves.
    type: str
  data_controller:
    description:
      - Also check the namespace's Arc data controller the way the writing modules do before any write (it exists,
        in indirect connection mode), and return the verdict as RV(data_controller). It only reads.
    type: bool
    default: false
  dag_resource:
    description:
      - Also read this DAG resource (C(FailoverGroup), or the legacy C(Dag) on a site that serves only that) of the
        namespace in the same run, and return it as RV(dags); a site's whole DR state in one module run, where
        M(arcdata.sqlmi.arc_dag_info) would be a second one.
      - It is read at the most preferred version the site serves for its kind, whatever O(api_version) says.
    type: str
    version_added: 1.0.0
  wait_condition:
    description:
      - What O(wait=true) waits for, each judged against the generation the instance carries when it is seen, so a
        C(Ready) left over from before a change does not count.
      - C(ready) - C(status.state) is C(Ready) and C(status.observedGeneration) has caught up with
        C(metadata.generation) (what RV(instances[].ready) reports). An instance that does not exist yet is waited
        for. C(Error) for the current generation ends the wait at once with the controller's C(status.message).
      - C(absent) - the instance no longer exists (after a deletion made with C(wait=false)); RV(instances) is then
        empty.
    type: str
    choices: [absent, ready]
    default: ready
    version_added: 1.1.0
seealso:
  - module: arcdata.sqlmi.arc_sqlmi
  - module: arcdata.sqlmi.arc_dag_info
"""

EXAMPLES = r"""
- name: Read the DR instance
  arcdata.sqlmi.arc_sqlmi_info:
    name: sqlsecondary
  register: dr

- name: It must be ready, with a certificate valid for 30 more days
  ansible.builtin.assert:
    that:
      - dr.instances[0].state == 'Ready'
      - dr.instances[0].certificate.days_remaining >= 30

- name: Wait until the instance created with wait=false is Ready for its generation (at most 20 minutes)
  arcdata.sqlmi.arc_sqlmi_info:
    name: sqlsecondary
    wait: true
    wait_timeout: 1200
  register: dr_ready
"""

RETURN = r"""
instances:
  description: One summary per instance (empty when O(name) does not exist).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the instance.
      type: str
    state:
      description: C(status.state), such as C(Ready) or C(Error).
      type: str
    message:
      description: C(status.message), the controller's explanation of an error.
      type: str
    ready:
      description:
        - Whether the instance is C(Ready) for its current generation (C(status.observedGeneration) at least
          C(metadata.generation)), the rule O(wait_condition=ready) waits for.
      type: bool
    tier:
      description: Tier in its long form (C(GeneralPurpose) or C(BusinessCritical)).
      type: str
    license_type:
      description: C(spec.licenseType).
      type: str
    replicas:
      description: C(spec.replicas).
      type: int
    ready_replicas:
      description: C(status.roles.sql.readyReplicas).
      type: int
    endpoints:
      description: C(status.endpoints).
      type: dict
    mirroring_url:
      description: C(tcp://) plus C(status.endpoints.mirroring), or null.
      type: str
    ha_health:
      description: C(status.highAvailability.healthState).
      type: str
    ha_replicas:
      description: C(status.highAvailability.replicas).
      type: list
      elements: dict
    certificate:
      description: The mirroring certificate's fingerprint, validity and names, or null before it is published.
      type: dict
    spec:
      description: The instance's spec (compute, storage, settings), for parity checks between sites.
      type: dict
    generation:
      description: C(metadata.generation).
      type: int
    observed_generation:
      description: C(status.observedGeneration).
      type: int
api_version:
  description: The version used.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for O(wait_condition) (0 when it held at the first read).
  returned: when O(wait=true), outside check mode
  type: float
  sample: 12.4
  version_added: 1.1.0
data_controller:
  description: Whether the writing modules would accept the namespace's data controller, and why not.
  returned: when O(data_controller=true)
  type: dict
  contains:
    usable:
      description: Whether the namespace has an Arc data controller in indirect connection mode.
      type: bool
    problem:
      description: Why it is not usable (no data controller, or direct connection mode), or null.
      type: str
dags:
  description:
    - The DAG resource named by O(dag_resource), summarised with the fields M(arcdata.sqlmi.arc_dag_info) returns
      in its RV(arcdata.sqlmi.arc_dag_info#module:dags); empty when it does not exist.
  returned: when O(dag_resource) is given
  type: list
  elements: dict
  version_added: 1.0.0
dag_api_kind:
  description: The kind the DAG resource was read as, C(FailoverGroup) or C(Dag).
  returned: when O(dag_resource) is given
  type: str
  version_added: 1.0.0
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates, conditions, connection, sqlmi_spec
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize as summarize_dag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import wait_for_timed


def summary(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    endpoints = status.get("endpoints") or {}
    high_availability = status.get("highAvailability") or {}
    generation = obj["metadata"].get("generation")
    return {
        "name": obj["metadata"]["name"],
        "state": status.get("state"),
        "message": status.get("message"),
        "ready": conditions.ready_for_its_generation(obj),
        "tier": sqlmi_spec.canonical_tier(spec.get("tier", "GeneralPurpose")),
        "license_type": spec.get("licenseType", "LicenseIncluded"),
        "replicas": spec.get("replicas"),
        "ready_replicas": ((status.get("roles") or {}).get("sql") or {}).get("readyReplicas"),
        "endpoints": endpoints,
        "mirroring_url": "tcp://%s" % endpoints["mirroring"] if endpoints.get("mirroring") else None,
        "ha_health": high_availability.get("healthState"),
        "ha_replicas": high_availability.get("replicas") or [],
        "certificate": certificates.facts(high_availability.get("mirroringCertificate")),
        "spec": spec,
        "generation": generation,
        "observed_generation": status.get("observedGeneration"),
    }


def run(arc):
    arc.connect()
    instances = arc.resources(SQL_MANAGED_INSTANCE, arc.params["api_version"], arc.params["name"])
    result = {"changed": False, "api_version": instances.version}
    if arc.params["name"]:
        obj = instances.get(arc.params["name"])
        if arc.params["wait"] and not arc.check_mode:
            condition = conditions.INSTANCE_WAIT_CONDITIONS[arc.params["wait_condition"]]()
            obj, result["waited"] = wait_for_timed(instances, arc.params["name"], condition,
                                                   arc.params["wait_timeout"], obj)
        found = [obj] if obj is not None else []
    else:
        found = instances.list().get("items") or []
    result["instances"] = [summary(o) for o in found]
    if arc.params["data_controller"]:
        result["data_controller"] = data_controller_verdict(arc)
    if arc.params["dag_resource"]:
        result.update(site_dag(arc, arc.params["dag_resource"]))
    return result


def site_dag(arc, name):
    """The site's DAG resource, read in this run so that a preflight costs one module run per site."""
    layout, dags = arc.dag_resources("auto", None, name)
    obj = dags.get(name)
    return {"dag_api_kind": layout, "dags": [summarize_dag(obj, layout)] if obj is not None else []}


def data_controller_verdict(arc):
    """The check arc_sqlmi and arc_dag make before writing, run here so that a preflight can tell before anything
    is written on either site."""
    try:
        arc.check_data_controller()
    except InvalidInput as exc:
        return {"usable": False, "problem": exc.message}
    return {"usable": True, "problem": None}


def main():
    argument_spec = dict(name=dict(type="str"), api_version=dict(type="str"),
                         data_controller=dict(type="bool", default=False), dag_resource=dict(type="str"),
                         wait_condition=dict(type="str", default="ready",
                                             choices=sorted(conditions.INSTANCE_WAIT_CONDITIONS)))
    argument_spec.update(connection.INFO_WAIT_ARGS)
    ArcModule(argument_spec, wait=False, required_if=[("wait", True, ["name"])]).run(run)


if __name__ == "__main__":
    main()
