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
  - Creates, updates or deletes the DAG resource of one site, in the seed document's C(az sql mi-arc dag)
    vocabulary, as a C(FailoverGroup) (current Arc) or the retired C(Dag) resource (2022), detected from what the
    site serves.
  - A role change is a failover. O(role=secondary) on the current primary is a planned failover without data loss;
    O(role=force-primary-allow-data-loss) on the DR site promotes it when the primary is lost;
    O(role=force-secondary) demotes a site, and rejoins an old primary that came back after a forced failover.
  - The desired role is compared with C(status.role), the truth (the partner's controller rewrites C(spec.role)
    during a switch), so asking for C(secondary) on a site that is already Secondary changes nothing, and
    O(role=primary) on an existing resource is an error, since promotion comes from demoting the partner, or forcing.
  - Waits, by watching the resource, until the controller has carried out the change. That is, until C(status.role)
    reached the target for the new generation, or, for a creation or a change of other fields, until the link to
    the partner is up.
  - A planned switch the controller abandoned (the link went down during it) leaves C(spec.role=secondary) on a
    site still Primary, and the controller does not act again on an unchanged spec. Asking for O(role=secondary)
    again (with O(wait=true)) first withdraws the abandoned request by writing C(primary) back, waits until the
    controller has settled that, then asks for the switch anew, with a warning. Arc's documentation does not say
    whether its controller accepts C(primary) on update; where it does not, the module fails with advice.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.wait
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Writes are sent with C(dryRun=All), so the API validates them and stores nothing; waits are skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Shows the spec before and after; certificates are shown by fingerprint.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation
      indicates no change.
    support: full
options:
  name:
    description:
      - Name of this site's DAG resource (the seed's C(--name)); a Kubernetes name, so lowercase (the seed's
        C(dagPrimary) is written C(dagprimary)).
    type: str
    required: true
  dag_name:
    description: Name of the distributed availability group (the seed's C(--dag-name)); the same on both sites.
    type: str
  local_instance:
    description: This site's instance (the seed's C(--local-instance-name)).
    type: str
  remote_instance:
    description: The partner site's instance (the seed's C(--remote-instance-name)); its name must differ.
    type: str
  remote_mirroring_url:
    description:
      - The partner instance's mirroring endpoint, C(tcp://<host>:<port>) (the seed's C(--remote-mirroring-url)).
      - That is C(tcp://) plus the partner's C(status.endpoints.mirroring), as
        RV(arcdata.sqlmi.arc_mirroring_cert#module:mirroring_url) returns it.
    type: str
  remote_mirroring_cert:
    description:
      - The partner instance's mirroring certificate, PEM text (exactly one certificate, never a key).
    type: str
  remote_mirroring_cert_file:
    description: File holding the partner's mirroring certificate (the seed's C(--remote-mirroring-cert-file)).
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
  api_kind:
    description:
      - C(auto) uses C(FailoverGroup) when the site serves it, else the legacy C(Dag).
    type: str
    choices: [auto, FailoverGroup, Dag]
    default: auto
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred that serves the kind.
    type: str
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
- name: Create the DAG resource on the primary site (the seed's step 4)
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

import copy
import datetime
import time

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates, conditions, dag_spec
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dr_lock import DrLock
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ArcError, InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import Heartbeat, wait_for

ABANDONED_SWITCH = ("%s on %s: an earlier planned switch was abandoned by the controller (spec.role 'secondary', "
                    "status.role Primary, state Failed)")
ROLE_AFTER = {"planned failover": "Secondary", "forced demotion": "Secondary", "forced failover": "Primary"}


def argument_spec():
    return dict(
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
        api_kind=dict(type="str", default="auto", choices=["auto", "FailoverGroup", "Dag"]),
        api_version=dict(type="str"),
        dr_lock=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            holder=dict(type="str", required=True),
            duration=dict(type="int", default=60),
        )),
    )


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DagTask(object):
    def __init__(self, arc):
        self.arc = arc
        self.params = arc.params
        self.name = self.params["name"]
        self.layout, self.dags = arc.dag_resources(self.params["api_kind"], self.params["api_version"], self.name)
        self.result = {"changed": False, "api_kind": self.layout, "api_version": self.dags.version}
        self.heartbeat = self._lock_renewal()

    def _lock_renewal(self):
        """While waiting, renew the DR lock the caller holds on this site, every third of its duration."""
        held = self.params.get("dr_lock")
        if not held or self.arc.check_mode:
            return None
        lock = DrLock(self.arc.leases(), held["name"], held["holder"], held["duration"])

        def renew():
            try:
                holder = lock.renew()
            except ArcError as exc:  # the wait matters more than the renewal: say so and go on
                self.arc.module.warn("could not renew the DR lock %s: %s" % (held["name"], exc.message))
                return
            if holder not in (held["holder"], ""):
                self.arc.module.warn("the DR lock %s is now held by %r: it expired while this task waited"
                                     % (held["name"], holder))
        return Heartbeat(max(1.0, held["duration"] / 3.0), renew)

    def _wanted(self):
        values = dict((field, self.params.get(field)) for field in dag_spec.FIELDS)
        values["remote_mirroring_cert"] = self._certificate()
        return values

    def _certificate(self):
        text = self.params.get("remote_mirroring_cert")
        path = self.params.get("remote_mirroring_cert_file")
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

    # -- present ------------------------------------------------------------------------------
    def present(self):
        existing = self.dags.get(self.name)
        wanted = self._wanted()
        found = dag_spec.problems(dict(self.params, remote_mirroring_cert=wanted["remote_mirroring_cert"]),
                                  existing is None, self.layout)
        if found:
            raise InvalidInput("arc_dag %s: %s" % (self.name, "; ".join(found)), problems=found)
        if existing is None:
            return self._create(wanted)
        return self._update(existing, wanted)

    def _create(self, wanted):
        instance = self.arc.resources(SQL_MANAGED_INSTANCE, name=wanted["local_instance"]).get(
            wanted["local_instance"])
        if instance is None:
            raise InvalidInput("arc_dag %s: local_instance %r does not exist in namespace %r on %s" % (
                self.name, wanted["local_instance"], self.arc.namespace, self.arc.site))
        self.arc.check_data_controller()
        body = {"apiVersion": "%s/%s" % (self.dags.kind.group, self.dags.version), "kind": self.layout,
                "metadata": {"name": self.name, "ownerReferences": [{
                    "apiVersion": instance["apiVersion"], "kind": instance["kind"],
                    "name": instance["metadata"]["name"], "uid": instance["metadata"]["uid"]}]},
                "spec": dag_spec.to_spec(wanted, self.layout)}
        obj = self.dags.create(body, dry_run=self.arc.check_mode)
        self.result["changed"] = True
        self._diff({}, body["spec"])
        if self.params["wait"] and not self.arc.check_mode:
            obj = wait_for(self.dags, self.name, conditions.dag_connected(obj["metadata"]["generation"]),
                           self.params["wait_timeout"], obj,
                           heartbeat=self.heartbeat)
        return self._report(obj, None)

    def _update(self, existing, wanted):
        existing = self._settled(existing)
        if self._abandoned_switch(existing, wanted["role"]):
            if self.arc.check_mode:
                self.arc.module.warn(ABANDONED_SWITCH % (self.name, self.arc.site) + "; check mode: not withdrawn")
                self.result["changed"] = True
                return self._report(existing, "Primary")
            existing = self._withdraw_abandoned_switch(existing)
        status = existing.get("status") or {}
        current = dag_spec.from_spec(existing.get("spec") or {}, self.layout)
        previous_role = status.get("role")
        action, why_not = self._role_decision(wanted["role"], current["role"], status)
        if why_not:
            raise InvalidInput("arc_dag %s on %s: %s" % (self.name, self.arc.site, why_not))
        fields = dict((k, wanted[k]) for k in dag_spec.changed_fields(wanted, current))
        if action:
            fields["role"] = wanted["role"]
        obj, started = existing, None

        def recompute(latest):
            """After a 409 Conflict: the patch again, from the object as it is now (None: nothing left to do)."""
            again = dict((k, wanted[k]) for k in dag_spec.changed_fields(
                wanted, dag_spec.from_spec(latest.get("spec") or {}, self.layout)))
            if action:
                again["role"] = wanted["role"]
            return {"spec": dag_spec.to_spec(again, self.layout)} if again else None
        if fields:
            self.arc.check_data_controller()
            started = time.monotonic(), _now()
            obj = self.dags.patch(self.name, {"spec": dag_spec.to_spec(fields, self.layout)},
                                  dry_run=self.arc.check_mode, recompute=recompute)
            self.result["changed"] = obj.get("spec") != existing.get("spec")
            if self.result["changed"]:
                self._diff(existing.get("spec"), obj.get("spec"))
        if self.result["changed"] and self.params["wait"] and not self.arc.check_mode:
            generation = obj["metadata"]["generation"]
            condition = conditions.dag_role(ROLE_AFTER[action], generation) if action else \
                conditions.dag_connected(generation)
            obj = wait_for(self.dags, self.name, condition, self.params["wait_timeout"], obj,
                           heartbeat=self.heartbeat)
        result = self._report(obj, previous_role)
        if action and started and not self.arc.check_mode:
            result["failover"] = {"action": action, "from_role": previous_role, "to_role": result["role"],
                                  "started": started[1], "finished": _now(),
                                  "duration_seconds": round(time.monotonic() - started[0], 3)}
        return result

    def _settled(self, obj):
        """The resource once the controller has finished with its current generation: a role read while a
        change is still being carried out (the partner's controller promoting this site, say) is not the
        role to decide from."""
        status = obj.get("status") or {}
        generation = obj["metadata"].get("generation")
        if status.get("observedGeneration") in (None, generation) or self.arc.check_mode or not self.params["wait"]:
            return obj
        return wait_for(self.dags, self.name, conditions.dag_settled(generation), self.params["wait_timeout"], obj,
                        heartbeat=self.heartbeat)

    def _abandoned_switch(self, existing, desired):
        """A planned switch the controller abandoned (the link went down, say) leaves spec.role 'secondary' on a
        site still Primary; the controller does not act on an unchanged spec, so asking again needs a withdrawal
        first. Only when a wait is allowed: the withdrawal must settle before the switch is asked for."""
        status = existing.get("status") or {}
        spec_role = dag_spec.from_spec(existing.get("spec") or {}, self.layout)["role"]
        return (desired == spec_role == "secondary" and status.get("role") == "Primary"
                and status.get("state") == "Failed" and self.params["wait"])

    def _withdraw_abandoned_switch(self, existing):
        """Writes 'primary' back (the site is primary: nothing changes on the engine) and waits until the
        controller has settled it. The Arc CLI never writes 'primary' on update, and whether Arc's controller
        accepts it is not documented (docs/reliability.md); where it refuses, this says so and what to do."""
        self.arc.module.warn(ABANDONED_SWITCH % (self.name, self.arc.site) + "; withdrawing it and asking again")
        self.arc.check_data_controller()
        obj = self.dags.patch(self.name, {"spec": dag_spec.to_spec({"role": "primary"}, self.layout)})
        obj = wait_for(self.dags, self.name, conditions.dag_settled(obj["metadata"]["generation"]),
                       self.params["wait_timeout"], obj, heartbeat=self.heartbeat)
        status = obj.get("status") or {}
        if status.get("state") != "Succeeded" or status.get("role") != "Primary":
            raise ArcError(
                "arc_dag %s on %s: the abandoned planned switch could not be withdrawn (state %s, role %s: %s). Check "
                "the partner and the link, then retry with role=force-secondary (demotes at once; transactions the "
                "partner has not hardened are lost) or recreate this DAG resource"
                % (self.name, self.arc.site, status.get("state"), status.get("role"),
                   status.get("results") or "no results"))
        return obj

    def _role_decision(self, desired, spec_role, status):
        """(action or None, error or None) for the desired role; see dag_spec.role_action."""
        if desired is None:
            return None, None
        status_role = status.get("role")
        if status_role is None and desired == spec_role:
            return None, None  # just created, the controller has not reported yet: nothing to change
        action, why_not = dag_spec.role_action(desired, status_role)
        if action and desired == spec_role:
            # the spec already asks for it and the controller did not get there: an unchanged spec is not
            # acted on again, so say what happened instead of patching nothing
            return None, ("spec.role is already %r but status.role is %s (state %s: %s): the last role change did "
                          "not complete, and the controller does not act again on an unchanged spec. Check the "
                          "partner and the link, then retry with role=force-secondary (demotes at once; transactions "
                          "the partner has not hardened are lost) or recreate this DAG resource"
                          % (desired, status_role, status.get("state"), status.get("results") or "no results"))
        return action, why_not

    def _diff(self, before, after):
        if self.arc.module._diff:  # pylint: disable=protected-access
            self.result["diff"] = {"before": _readable(before, self.layout), "after": _readable(after, self.layout)}

    def _report(self, obj, previous_role):
        status = obj.get("status") or {}
        self.result.update(resource=obj, role=status.get("role"), previous_role=previous_role,
                           state=status.get("state"), status_results=status.get("results"),
                           health=status.get("healthState"), replicas=status.get("replicas") or [])
        return self.result

    # -- absent -------------------------------------------------------------------------------
    def absent(self):
        existing = self.dags.get(self.name)
        if existing is None:
            return self.result
        self.arc.check_data_controller()
        self.dags.delete(self.name, dry_run=self.arc.check_mode)
        self.result["changed"] = True
        self._diff(existing.get("spec"), {})
        if self.params["wait"] and not self.arc.check_mode:
            wait_for(self.dags, self.name, conditions.deleted(), self.params["wait_timeout"], existing,
                     heartbeat=self.heartbeat)
        return self.result


def _readable(spec, layout):
    """The spec for a diff: certificates by fingerprint rather than 30 lines of base64."""
    spec = copy.deepcopy(spec or {})
    holder = spec.get("input", {}) if layout == "Dag" else spec
    key = "remotePublicCert" if layout == "Dag" else "partnerMirroringCert"
    if holder.get(key):
        try:
            holder[key] = "certificate %s" % certificates.fingerprint_sha256(
                certificates.parse_certificate(holder[key]))
        except certificates.CertificateError:
            holder[key] = "(not a certificate)"
    return spec


def run(arc):
    arc.connect()
    task = DagTask(arc)
    return task.present() if arc.params["state"] == "present" else task.absent()


def main():
    ArcModule(argument_spec(), mutually_exclusive=[("remote_mirroring_cert", "remote_mirroring_cert_file")]).run(run)


if __name__ == "__main__":
    main()
