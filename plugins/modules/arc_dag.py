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
  - In direct connection mode (O(connection_mode), detected when not set) the side is the Azure Resource Manager
    failover group C(sqlManagedInstances/<local_instance>/failoverGroups/<name>), as
    C(az sql instance-failover-group-arc) manages it; O(name) is the ARM name, the same on both sites. Creation
    sends the partner instance's ID (O(remote_instance) in O(partner_resource_group)), O(role), O(sync_mode) and,
    when given, O(dag_name), O(remote_mirroring_url) and the partner certificate; the service fills what is not sent.
    A change is a GET and a PUT of the whole resource (never C(primary) on update, which C(az) refuses), refused while
    Resource Manager still works on the last one (C(provisioningState) C(Accepted) or C(Deleting)). The module waits
    for the operation, then polls the projected C(properties.status) with the same completion rules as in indirect
    mode. No Kubernetes-API write of a C(FailoverGroup) is ever made in direct mode.
  - With O(connection_mode=indirect) on a site whose data controller is in direct connection mode the module fails
    before writing, naming the reason and the Resource Manager way.
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
  - arcdata.sqlmi.azure
attributes:
  check_mode:
    support: full
    details:
      - Writes are sent with C(dryRun=All), so the API validates them and stores nothing; waits are skipped.
      - In direct mode (Resource Manager has no dry run) the options are checked locally, nothing is written, and
        RV(arm_request) shows the write that was not sent.
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
      - In direct mode, the Azure Resource Manager name of the failover group (the
        C(az sql instance-failover-group-arc create --name) option), the same on both sites.
    type: str
    required: true
  dag_name:
    description: Name of the distributed availability group (the C(--dag-name) option); the same on both sites.
    type: str
  local_instance:
    description:
      - This site's instance (the C(--local-instance-name) option).
      - In direct mode, the instance whose failover group this is (the C(--mi) option). For an existing failover
        group it may be omitted when exactly one instance of O(resource_group) has one named O(name).
    type: str
  remote_instance:
    description: The partner site's instance (the C(--remote-instance-name) option); its name must differ.
    type: str
  partner_resource_group:
    description:
      - Direct mode only. The Azure resource group of O(remote_instance) (the
        C(az sql instance-failover-group-arc create --partner-resource-group) option), in the same subscription.
      - Defaults to O(resource_group).
    type: str
  delete_partner_side:
    description:
      - Direct mode only, with O(state=absent). Also delete the partner instance's failover group of the same O(name)
        (Resource Manager deletes only the side it is asked for, as C(az) does).
      - When false, the partner's side is checked after the deletion, reported in RV(partner_side), and a warning
        says when it still exists.
    type: bool
    default: false
  remote_mirroring_url:
    description:
      - The partner instance's mirroring endpoint, C(tcp://<host>:<port>) (the C(--remote-mirroring-url) option).
      - Optional in direct mode, where the service fills in the partner's endpoint when it is not given.
      - That is C(tcp://) plus the partner's C(status.endpoints.mirroring), as
        RV(arcdata.sqlmi.arc_mirroring_cert#module:mirroring_url) returns it.
    type: str
  remote_mirroring_cert:
    description:
      - The partner instance's mirroring certificate, PEM text (exactly one certificate, never a key).
      - Optional in direct mode, where the service fills in the partner's certificate when it is not given.
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
      - Not available in direct mode, where C(primary) is never sent on update.
    type: bool
    default: false
  dr_lock:
    description:
      - Indirect mode only (the lock is a Kubernetes Lease).
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

- name: Direct mode, the primary's side of the failover group (the service fills the partner's URL and certificate)
  arcdata.sqlmi.arc_dag:
    connection_mode: direct
    resource_group: arc-primary-rg
    name: fog1
    local_instance: sqlprimary
    remote_instance: sqlsecondary
    partner_resource_group: arc-secondary-rg
    role: primary

- name: Direct mode, delete both sides
  arcdata.sqlmi.arc_dag:
    connection_mode: direct
    resource_group: arc-primary-rg
    name: fog1
    local_instance: sqlprimary
    remote_instance: sqlsecondary
    partner_resource_group: arc-secondary-rg
    delete_partner_side: true
    state: absent
"""

RETURN = r"""
resource:
  description:
    - The DAG resource as the API returned it; certificates are public, no secret is ever in it.
    - In direct mode, the custom resource the failover group projects (C(properties.metadata), C(spec) and
      C(status)), under its ARM name (the custom resource's own name, a generated UUID, is C(metadata.crName)).
  returned: when state=present
  type: dict
connection_mode:
  description: C(direct) when the module worked through Azure Resource Manager.
  returned: in direct mode
  type: str
resource_id:
  description: The failover group's Azure Resource Manager ID.
  returned: in direct mode, when the instance is known
  type: str
  sample: /subscriptions/0000/resourceGroups/arc-rg/providers/Microsoft.AzureArcData/sqlManagedInstances/sqlprimary/failoverGroups/fog1
provisioning_state:
  description: The failover group's C(properties.provisioningState) after the task.
  returned: in direct mode, when state=present, outside check mode
  type: str
  sample: Succeeded
arm_request:
  description: In check mode in direct mode, the write that was not sent (Resource Manager has no dry run).
  returned: in direct mode, in check mode, when a write is needed
  type: dict
  contains:
    method:
      description: C(PUT) or C(DELETE).
      type: str
    url:
      description: The resource's URL with its C(api-version).
      type: str
    body:
      description: The body that would be sent (none for a C(DELETE)).
      type: dict
    sent:
      description: Always false.
      type: bool
partner_side:
  description: After O(state=absent) in direct mode, the partner instance's failover group of the same name.
  returned: in direct mode, when state=absent and the partner is known
  type: dict
  contains:
    resource_id:
      description: Its Azure Resource Manager ID.
      type: str
    exists:
      description: Whether it still exists after the task.
      type: bool
    deleted:
      description: Whether this task deleted it (O(delete_partner_side=true)).
      type: bool
    arm_request:
      description: In check mode, its C(DELETE) that was not sent.
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
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_side_direct import DirectDagSide
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
        partner_resource_group=dict(type="str"),
        delete_partner_side=dict(type="bool", default=False),
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


# options that only mean something in one mode
DIRECT_ONLY = ("partner_resource_group",)
INDIRECT_ONLY = ("dr_lock",)
ARM_WAY = ("a failover group of a direct-mode site is created and changed through Azure Resource Manager: run this "
           "task with connection_mode: direct and the Azure options (resource_group, credentials), or use az sql "
           "instance-failover-group-arc create --name <name> --mi <local instance> --partner-mi <remote instance> "
           "-g <resource group>")


def run(arc):
    params = arc.params
    if arc.connect_either(params["wait_timeout"]).direct:
        return run_direct(arc)
    _refuse(params, DIRECT_ONLY, "direct")
    if params["delete_partner_side"]:
        raise InvalidInput("delete_partner_side is for direct mode only: in indirect mode delete each site's DAG "
                           "resource on its own site", option="delete_partner_side")
    held = params.get("dr_lock")
    heartbeat = renewal_heartbeat(arc.leases(), held["name"], held["holder"], held["duration"], arc.module.warn) \
        if held and not arc.check_mode else None
    side = DagSide(arc.current_site, params["name"], params["api_kind"], params["api_version"],
                   check_mode=arc.check_mode, wait=params["wait"], wait_timeout=params["wait_timeout"],
                   heartbeat=heartbeat, warn=arc.module.warn, diff=arc.module._diff,  # pylint: disable=protected-access
                   wait_condition=params["wait_condition"],
                   withdraw_abandoned=params["withdraw_abandoned_switch"])
    try:
        if params["state"] == "absent":
            return side.absent()
        return side.present(wanted_fields(params), cert_file=params.get("remote_mirroring_cert_file"))
    except InvalidInput as exc:
        if exc.details.get("option") != "connection_mode":
            raise
        # the data controller is in direct mode: no FailoverGroup is written through the Kubernetes API
        raise InvalidInput("%s; %s" % (exc.message, ARM_WAY), **exc.details)


def run_direct(arc):
    """The failover group through Azure Resource Manager (dag_side_direct.py)."""
    params = arc.params
    _refuse(params, INDIRECT_ONLY, "indirect")
    if params["withdraw_abandoned_switch"]:
        raise InvalidInput("withdraw_abandoned_switch is not available in direct mode: Resource Manager is never sent "
                           "role primary on update (az refuses it)", option="withdraw_abandoned_switch")
    side = DirectDagSide(arc.direct_site, params["name"], local_instance=params["local_instance"],
                         partner_instance=params["remote_instance"],
                         partner_resource_group=params["partner_resource_group"], check_mode=arc.check_mode,
                         wait=params["wait"], wait_timeout=params["wait_timeout"], warn=arc.module.warn,
                         diff=arc.module._diff,  # pylint: disable=protected-access
                         wait_condition=params["wait_condition"], delete_partner=params["delete_partner_side"])
    if params["state"] == "absent":
        return side.absent()
    return side.present(wanted_fields(params), cert_file=params.get("remote_mirroring_cert_file"))


def _refuse(params, options, mode):
    given = [option for option in options if params.get(option)]
    if given:
        raise InvalidInput("%s only work(s) in %s connection mode: remove %s" % (
            ", ".join(given), mode, ", ".join(given)), option=given[0])


def main():
    ArcModule(argument_spec(), azure=True,
              mutually_exclusive=[("remote_mirroring_cert", "remote_mirroring_cert_file")]).run(run)


if __name__ == "__main__":
    main()
