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
  - In direct connection mode (O(connection_mode), detected when not set) it reads the Azure Resource Manager
    resources C(Microsoft.AzureArcData/sqlManagedInstances) of O(resource_group) instead, summarising the custom
    resource each projects (C(properties.k8sRaw)); waits poll, as Resource Manager has no watch.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.info_wait
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
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
    description: Name of the instance; all instances of the namespace when omitted.
    type: str
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred the site serves.
    type: str
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
    version_added: 2.0.0
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
  version_added: 2.0.0
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, connection, instance_summary
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_instances import ArmInstances
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import read_for_info


def run(arc):
    if arc.connect_either(arc.params["wait_timeout"]).direct:
        arc.direct_site.check_scope()
        instances = ArmInstances(arc.direct_site)
    else:
        instances = arc.resources(SQL_MANAGED_INSTANCE, arc.params["api_version"], arc.params["name"])
    result = {"changed": False, "api_version": instances.version}
    found = read_for_info(instances, arc.params, arc.check_mode, conditions.INSTANCE_WAIT_CONDITIONS, result)
    result["instances"] = [instance_summary.summarize(o) for o in found]
    return result


def main():
    argument_spec = dict(name=dict(type="str"), api_version=dict(type="str"),
                         wait_condition=dict(type="str", default="ready",
                                             choices=sorted(conditions.INSTANCE_WAIT_CONDITIONS)))
    argument_spec.update(connection.INFO_WAIT_ARGS)
    ArcModule(argument_spec, wait=False, azure=True, required_if=[("wait", True, ["name"])]).run(run)


if __name__ == "__main__":
    main()
