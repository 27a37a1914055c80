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
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Read only.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation
      indicates no change.
    support: full
options:
  name:
    description: Name of the DAG resource; all of the namespace when omitted.
    type: str
  api_kind:
    description: C(auto) uses C(FailoverGroup) when the site serves it, else the legacy C(Dag).
    type: str
    choices: [auto, FailoverGroup, Dag]
    default: auto
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred that serves the kind.
    type: str
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
      description: C(status.role), the role this side actually has (C(Primary), C(Secondary)).
      type: str
    state:
      description: C(status.state).
      type: str
    status_results:
      description: C(status.results), empty on success, the controller's explanation otherwise (named as in
        M(arcdata.sqlmi.arc_dag), where Ansible reserves C(results)).
      type: str
    health:
      description: C(status.healthState).
      type: str
    connected:
      description: Whether every replica entry reports C(CONNECTED).
      type: bool
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
      description: The latest handover record on this resource (see M(arcdata.sqlmi.arc_handover)), or null.
      type: dict
api_kind:
  description: The kind read, C(FailoverGroup) or C(Dag).
  returned: always
  type: str
api_version:
  description: The version used.
  returned: always
  type: str
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize


def run(arc):
    arc.connect()
    layout, dags = arc.dag_resources(arc.params["api_kind"], arc.params["api_version"], arc.params["name"])
    if arc.params["name"]:
        obj = dags.get(arc.params["name"])
        found = [obj] if obj is not None else []
    else:
        found = dags.list().get("items") or []
    return {"changed": False, "api_kind": layout, "api_version": dags.version,
            "dags": [summarize(o, layout) for o in found]}


def main():
    argument_spec = dict(name=dict(type="str"),
                         api_kind=dict(type="str", default="auto", choices=["auto", "FailoverGroup", "Dag"]),
                         api_version=dict(type="str"))
    ArcModule(argument_spec, wait=False).run(run)


if __name__ == "__main__":
    main()
