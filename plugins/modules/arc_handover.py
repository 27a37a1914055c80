#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_handover
short_description: Record a failover (handover record) on a site's DAG resource
version_added: 1.0.0
description:
  - Writes a handover record (time, mode, from and to site, operator or AWX job, outcome) as the
    C(arcdata.sqlmi/handover) annotation of one site's DAG resource, replacing the previous record, and as a
    Kubernetes Event about that resource, so the history stays visible with C(kubectl describe).
  - The failover roles write one on both sites after every failover. M(arcdata.sqlmi.arc_dag_info) returns the
    latest record, and rejoining a returning old primary relies on it to know which site legitimately holds the
    primary role.
  - In direct connection mode (O(connection_mode)) with a kubeconfig (O(kubeconfig) or O(host)), the record is the
    same annotation and Event, on the C(FailoverGroup) resource that Resource Manager made for the failover group
    O(name). Its name there is a generated UUID, so it is found as C(az sql instance-failover-group-arc) finds it,
    by C(spec.sourceMI) (O(instance)) and C(spec.sharedName) (O(name)).
  - In direct connection mode without a kubeconfig, the latest record is the tag C(arcdata-sqlmi-handover) of the
    site's SQL managed instance resource (O(instance)) in Azure; there is no history (no Events). An Azure tag
    value holds at most 256 characters; every field is kept under a one-letter key, and a record still too long
    has O(details) cut first (ending with C(...)), then O(operator) and O(job), then the site and instance names;
    time, mode and outcome are always whole. Resource Manager has no compare-and-swap for tags; the other tags of
    the instance are carried over as read just before the write, and the tag is read again after it.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
  - arcdata.sqlmi.dag_kind
attributes:
  check_mode:
    support: full
    details: The annotation patch and the Event are sent with C(dryRun=All); an Azure tag is not written.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: Every call records a new handover (a new time and Event), except one whose O(transition) the resource's
      record already carries.
options:
  name:
    description:
      - Name of this site's DAG resource; in direct connection mode, the name of the failover group in Azure (the
        same on both sites).
    type: str
    required: true
  instance:
    description:
      - This site's SQL managed instance. Required in direct connection mode, where it finds the C(FailoverGroup)
        resource (with a kubeconfig) or carries the record as a tag (without one); ignored in indirect mode.
    type: str
  mode:
    description: What kind of handover it was.
    type: str
    required: true
    choices: [planned, forced, rejoin, failback]
  from_site:
    description: The site (inventory host) that held the primary role before.
    type: str
  to_site:
    description: The site that holds the primary role after.
    type: str
  from_instance:
    description: The instance that was primary before.
    type: str
  to_instance:
    description: The instance that is primary after.
    type: str
  outcome:
    description: How it ended.
    type: str
    required: true
    choices: [succeeded, failed, refused]
  details:
    description: Free text, such as the number of transactions at risk or why it failed.
    type: str
  discarded_transactions:
    description:
      - For a rejoin, how many divergent transactions the returning old primary discarded, where that is known.
    type: int
  operator:
    description: Who ran it (a person, or the AWX user).
    type: str
  job:
    description: The AWX / Automation Controller job, if any.
    type: str
  transition:
    description:
      - The id of the transition recorded (M(arcdata.sqlmi.arc_failover) gives each transition one, and keeps it in
        the DR lock's intent). A resource whose record already carries this id is left as it is (its Kubernetes
        Event is written only if none about the resource names the transition), so a transition is recorded once.
    type: str
seealso:
  - module: arcdata.sqlmi.arc_dag_info
  - module: arcdata.sqlmi.arc_dr_lock
"""

EXAMPLES = r"""
- name: Record the planned failover on this site's DAG resource
  arcdata.sqlmi.arc_handover:
    name: dagprimary
    mode: planned
    from_site: primary
    to_site: secondary
    outcome: succeeded
    operator: "{{ awx_user_name | default(lookup('env', 'USER')) }}"
    job: "{{ awx_job_id | default(omit) }}"
"""

RETURN = r"""
record:
  description: The handover record written.
  returned: success
  type: dict
  sample: {"time": "2026-11-26T03:12:00Z", "mode": "planned", "from_site": "primary", "to_site": "secondary",
           "outcome": "succeeded", "operator": "dba"}
previous:
  description: The record the resource carried before, or null.
  returned: success
  type: dict
stored_in:
  description: Where the record was written, the DAG resource or the Azure tag.
  returned: success
  type: str
  sample: "tag arcdata-sqlmi-handover of SQL managed instance sqlprimary (resource group arc-primary)"
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import handover, handover_tag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.record_place import (
    failover_group_resource, record_place, require_instance)
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS


def argument_spec():
    return dict(
        DAG_KIND_ARGS,
        name=dict(type="str", required=True),
        instance=dict(type="str"),
        mode=dict(type="str", required=True, choices=handover.MODES),
        from_site=dict(type="str"),
        to_site=dict(type="str"),
        from_instance=dict(type="str"),
        to_instance=dict(type="str"),
        outcome=dict(type="str", required=True, choices=handover.OUTCOMES),
        details=dict(type="str"),
        discarded_transactions=dict(type="int"),
        operator=dict(type="str"),
        job=dict(type="str"),
        transition=dict(type="str"),
    )


def run(arc):
    params = arc.params
    record = handover.build(**dict((k, params.get(k)) for k in handover.FIELDS if k != "time"))
    place = record_place(arc)
    if place.tags:
        previous, stored_in = write_tag(arc, record)
    else:
        previous, stored_in = write_annotation(arc, record, place.mode.direct)
    result = {"changed": not handover.same_transition(previous, record), "record": record, "previous": previous,
              "stored_in": stored_in}
    if arc.module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"handover": previous or {}}, "after": {"handover": record}}
    return result


def write_annotation(arc, record, direct):
    """The annotation and Event on the DAG resource; (the record replaced, where)."""
    params = arc.params
    unused, dags = arc.dag_resources(params["api_kind"], params["api_version"], params["name"])
    name = params["name"]
    if direct:
        instance = require_instance(params, "the FailoverGroup resource is found by its spec.sourceMI")
        name = failover_group_resource(dags, instance, params["name"])
    return handover.write(dags, arc.events(), name, record, dry_run=arc.check_mode), dags.describe(name)


def write_tag(arc, record):
    """The instance's handover tag in Azure; (the record replaced, where)."""
    instance = require_instance(arc.params, "without a kubeconfig the handover record is a tag of the site's SQL "
                                            "managed instance resource")
    tag = handover_tag.instance_tag(arc.direct_site.arc_data, instance)
    return handover_tag.write(tag, record, dry_run=arc.check_mode), tag.describe()


def main():
    ArcModule(argument_spec(), wait=False, azure=True).run(run)


if __name__ == "__main__":
    main()
