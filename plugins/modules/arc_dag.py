#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_dag
short_description: Manage one site's half of an Arc SQL Managed Instance distributed availability group
version_added: 1.0.0
description:
  - Creates, updates or deletes the DAG resource of one site, in the vocabulary of C(az sql mi-arc dag)
   , as a C(FailoverGroup) (current Arc) or the retired C(Dag) resource (2022), detected from what the
    site serves.
  - A role change is a failover. O(role=secondary) on the current primary is a planned failover without data loss;
    O(role=force-primary-allow-data-loss) on the DR site promotes it when the primary is lost;
    O(role=force-secondary) demotes a site, and rejoins an old primary that came back after a forced failover.
  - The desired role is compared with C(status.role), the truth (the partner's controller rewrites C(spec.role)
    during a switch), so asking for C(secondary) on a site that is already Secondary changes nothing, and
    O(role=primary) on an existing resource is an error, since promotion comes from demoting the partner, or forcing.
  - Waits, by watching the resource, until the controller has carried out the change. That is, until C(status.role)
    reached the target in a status the controller wrote after the change, or, for a creation or a change of other
    fields, until the controller reports the change applied (O(wait_condition=applied), as C(az ... dag create)
    returns) or also the link to the partner up (O(wait_condition=connected)).
  - Completion is judged from what every Arc controller writes. C(status.observedGeneration) where the resource
    reports it, and otherwise a status written since the change; C(state) and C(role) compared without regard to
    case; the link from C(status.replicas) where reported, and said to be unknown otherwise; the cause of a failure
    from C(status.message) and C(status.results).
  - A planned switch the controller abandoned (the link went down during it) leaves C(spec.role=secondary) on a
    site still Primary, and the controller does not act again on an unchanged spec. The Arc CLI never writes
    C(primary) on update and Arc does not document whether its controller accepts it, so by default the module
    fails, naming the state and the manual step. With O(withdraw_abandoned_switch=true) (for a controller known to
    accept it) asking for O(role=secondary) again (with O(wait=true)) first withdraws the abandoned request by
    writing C(primary) back, waits until the controller has settled that, then asks for the switch anew, with a
    warning.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.wait
  - arcdata.sqlmi.attributes
  - arcdata.sqlmi.dag_kind
attributes:
  check_mode:
    support: full
    details: Writes are sent with C(dryRun=All), so the API validates them and stores nothing; waits are skipped.
  diff_mode:
    support: full
    details: Shows the spec before and after; certificates are shown by fingerprint.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of this site's DAG resource (the C(az sql mi-arc dag create --name) option); a Kubernetes name, so
        lowercase (C(dagPrimary) is written C(dagprimary)).
    type: str
    required: true
  dag_name:
    description: Name of the distributed availability group (the C(--dag-name) option); the same on both sites.
    type: str
  local_instance:
    description: This site's instance (the C(--local-instance-name) option).
    type: str
  remote_instance:
    description: The partner site's instance (the C(--remote-instance-name) option); its name must differ.
    type: str
  remote_mirroring_url:
    description:
      - The partner instance's mirroring endpoint, C(tcp://<host>:<port>) (the C(--remote-mirroring-url) option).
      - That is C(tcp://) plus the partner's C(status.endpoints.mirroring), as
        RV(arcdata.sqlmi.arc_mirroring_cert#module:mirroring_url) returns it.
    type: str
  remote_mirroring_cert:
    description:
      - The partner instance's mirroring certificate, PEM text (exactly one certificate, never a key).
    type: str
  remote_mirroring_cert_file:
    description: File holding the partner's mirroring certificate (the C(--remote-mirroring-cert-file) option).
    type: path
  role:
    description:
      - C(primary) or C(secondary) at creation.
      - On an existing resource, C(secondary) (planned failover when this site is Primary),
        C(force-primary-allow-data-loss) (forced failover when this site is Secondary), or C(force-secondary).
    type: str
    choices: [primary, secondary, force-primary-allow-data-loss, force-secondary]
  sync_mode:
    description: Commit mode toward the partner (C(partnerSyncMode)); C(async) unless the sites are close.
    type: str
    choices: [async, sync]
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
  wait_condition:
    description:
      - What O(wait=true) waits for after a creation or a change that is not a role change.
      - C(applied) waits until the controller reports the change applied (C(Succeeded) written after it). The side
        of a new DAG cannot connect before its partner's side exists, so this is what a first site's creation waits
        for.
      - C(connected) waits, in addition, until every replica in C(status.replicas) is C(CONNECTED). A controller
        that reports no replicas leaves the link's state unknown; the module then returns once the change is
        applied, with a warning that says so.
      - A role change always waits for the new role.
    type: str
    choices: [applied, connected]
    default: applied
  withdraw_abandoned_switch:
    description:
      - Whether to withdraw a planned switch the controller abandoned by writing C(primary) back before asking for
        it again. Set it only for a controller known to accept C(primary) on update; otherwise the module fails
        with the state and the manual step.
    type: bool
    default: false
  dr_lock:
    description:
      - The DR lock (see M(arcdata.sqlmi.arc_dr_lock)) the caller holds on this site. While the module waits, it
        renews the lock every third of O(dr_lock.duration), so a long failover keeps it. A lock held by someone
        else, or absent, is left alone (with a warning when another run took it over).
    type: dict
    suboptions:
      name:
        description: Name of the Lease.
        type: str
        required: true
      holder:
        description: The holder identity the lock was taken with.
        type: str
        required: true
      duration:
        description: The duration the lock was taken with, in seconds.
        type: int
        default: 60
seealso:
  - module: arcdata.sqlmi.arc_dr_lock
  - module: arcdata.sqlmi.arc_dag_info
  - module: arcdata.sqlmi.arc_mirroring_cert
"""

EXAMPLES = r"""
- name: Create the DAG resource on the primary site (step 4 of the DR set-up)
  arcdata.sqlmi.arc_dag:
    name: dagprimary
    dag_name: dagtest
    local_instance: sqlprimary
    remote_instance: sqlsecondary
    remote_mirroring_url: "{{ secondary_cert.mirroring_url }}"
    remote_mirroring_cert: "{{ secondary_cert.certificate }}"
    role: primary
    wait: false  # the partner's half does not exist yet

- name: Planned failover (on the current primary)
  arcdata.sqlmi.arc_dag:
    name: dagprimary
    role: secondary

- name: Forced failover (on the DR site, the primary is lost)
  arcdata.sqlmi.arc_dag:
    name: dagsecondary
    role: force-primary-allow-data-loss
"""

RETURN = r"""
resource:
  description: The DAG resource as the API returned it; certificates are public, no secret is ever in it.
  returned: when state=present
  type: dict
role:
  description: C(status.role) after the task (C(Primary) or C(Secondary); empty in check mode for a new resource).
  returned: when state=present
  type: str
  sample: Secondary
previous_role:
  description: C(status.role) before the task.
  returned: when state=present
  type: str
  sample: Primary
state:
  description: C(status.state) (C(Succeeded), C(Failed), or a transient value while the controller works).
  returned: when state=present
  type: str
status_results:
  description:
    - C(status.results); empty on success, the controller's explanation otherwise.
    - Named so because Ansible reserves C(results) for loops.
  returned: when state=present
  type: str
health:
  description: C(status.healthState).
  returned: when state=present
  type: str
replicas:
  description: C(status.replicas), one entry per side with C(connectedState) and C(synchronizationState).
  returned: when state=present
  type: list
  elements: dict
api_kind:
  description: The kind used, C(FailoverGroup) or C(Dag).
  returned: always
  type: str
api_version:
  description: The version used.
  returned: always
  type: str
failover:
  description: When the role changed, what happened and how long it took.
  returned: when the task changed the role
  type: dict
  contains:
    action:
      description: C(planned failover), C(forced failover) or C(forced demotion).
      type: str
    from_role:
      description: C(status.role) before.
      type: str
    to_role:
      description: C(status.role) after.
      type: str
    started:
      description: When the role was patched (UTC, ISO 8601).
      type: str
    finished:
      description: When the controller reported the new role.
      type: str
    duration_seconds:
      description: Seconds between the two.
      type: float
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates, dag_spec
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_side import DagSide
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dr_lock import renewal_heartbeat
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS


def argument_spec():
    return dict(
        DAG_KIND_ARGS,
        name=dict(type="str", required=True),
        dag_name=dict(type="str"),
        local_instance=dict(type="str"),
        remote_instance=dict(type="str"),
        remote_mirroring_url=dict(type="str"),
        remote_mirroring_cert=dict(type="str"),
        remote_mirroring_cert_file=dict(type="path"),
        role=dict(type="str", choices=dag_spec.ROLES),
        sync_mode=dict(type="str", choices=dag_spec.SYNC_MODES),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait_condition=dict(type="str", default="applied", choices=["applied", "connected"]),
        withdraw_abandoned_switch=dict(type="bool", default=False),
        dr_lock=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            holder=dict(type="str", required=True),
            duration=dict(type="int", default=60),
        )),
    )


def wanted_fields(params):
    """The DAG fields the options ask for, the partner certificate read and checked (None: leave as it is)."""
    values = dict((field, params.get(field)) for field in dag_spec.FIELDS)
    values["remote_mirroring_cert"] = partner_certificate(params)
    return values


def partner_certificate(params):
    text = params.get("remote_mirroring_cert")
    path = params.get("remote_mirroring_cert_file")
    if path:
        try:
            with open(path, "r") as handle:
                text = handle.read()
        except (IOError, OSError) as exc:
            raise InvalidInput("remote_mirroring_cert_file %r cannot be read: %s" % (path, exc))
    if text is None:
        return None
    option = "remote_mirroring_cert_file %r" % path if path else "remote_mirroring_cert"
    try:
        cert = certificates.parse_certificate(text, option)
    except certificates.CertificateError as exc:
        raise InvalidInput(str(exc))
    problem = certificates.validity_problem(cert, 0, option)
    if problem:
        raise InvalidInput(problem)
    return certificates.normalise_pem(text)


def run(arc):
    params = arc.params
    arc.connect()
    held = params.get("dr_lock")
    heartbeat = renewal_heartbeat(arc.leases(), held["name"], held["holder"], held["duration"], arc.module.warn) \
        if held and not arc.check_mode else None
    side = DagSide(arc.current_site, params["name"], params["api_kind"], params["api_version"],
                   check_mode=arc.check_mode, wait=params["wait"], wait_timeout=params["wait_timeout"],
                   heartbeat=heartbeat, warn=arc.module.warn, diff=arc.module._diff,  # pylint: disable=protected-access
                   wait_condition=params["wait_condition"],
                   withdraw_abandoned=params["withdraw_abandoned_switch"])
    if params["state"] == "absent":
        return side.absent()
    return side.present(wanted_fields(params), cert_file=params.get("remote_mirroring_cert_file"))


def main():
    ArcModule(argument_spec(), mutually_exclusive=[("remote_mirroring_cert", "remote_mirroring_cert_file")]).run(run)


if __name__ == "__main__":
    main()
