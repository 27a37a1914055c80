# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site's half of a DAG and the changes Arc accepts on it: create, change fields, change the role, delete.

The role rules (which desired role means which action for a site whose status.role is Primary or Secondary) are
dag_spec.role_action; this file carries them out against the API: it lets a change the controller is still working
on settle before deciding, withdraws a planned switch the controller abandoned, writes the patch (re-computed after
a 409), and waits, by watching, until the controller has carried it out. arc_dag runs it for one site; the two-site
failover (failover.py) runs one per site.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import time

from . import certificates, conditions, dag_spec, dag_status
from .errors import ArcError, InvalidInput
from .resources import SQL_MANAGED_INSTANCE
from .waiting import wait_for

ABANDONED = ("%s on %s: an earlier role change was abandoned by the controller, not carried out (spec.role %r, "
             "status.role %s, state %s)")
# the state in which a role change asked for earlier, and not carried out, is over (and may be asked for again): a
# planned switch negotiates with the partner, and only a Failed state says the controller gave up on it; a forced
# change is the site's own, so once the controller settled its generation in any state it is not pending any more
SETTLED_WITHOUT_EFFECT = {"secondary": ("failed",), "force-secondary": ("failed", "succeeded"),
                          "force-primary-allow-data-loss": ("failed", "succeeded")}
# What to do when the controller is not known to accept `primary` on update (the Arc CLI never writes it there).
NOT_WITHDRAWN = (". The controller does not act again on an unchanged spec.role, so the change cannot simply be asked "
                 "for again. Where this controller accepts `primary` on update, set withdraw_abandoned_switch=true: "
                 "`primary` is written back (nothing changes on the databases) and the change asked for anew. "
                 "Otherwise, once the partner and the link are healthy, recreate this site's DAG resource with role "
                 "primary (state=absent, then present with role=primary; the partner's resource is left as it is) "
                 "and ask for the change again")
LINK_UNKNOWN = ("%s on %s: the controller reports no status.replicas, so whether the link to the partner is up is "
                "unknown (not assumed): check it with the controller's own tools")
LINK_DOWN = ("%s on %s: the change is applied, but the controller reports Failed with the link to the partner down "
             "(%s); a side connects once its partner's side exists and answers")
ROLE_AFTER = {"planned failover": "Secondary", "forced demotion": "Secondary", "forced failover": "Primary"}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DagSide(object):
    """The DAG resource `name` on `site` (site.py).

    `wait`/`wait_timeout` as the modules' options, and `wait_condition` what a write that is not a role change
    waits for: "applied" (the controller has applied it) or "connected" (and the link is up, where the controller
    reports it); `heartbeat` runs while waiting (the DR lock's renewal); `warn(text)` reports a warning;
    `check_mode` sends writes as dry runs and does not wait; `diff` adds the spec before and after to the result;
    `withdraw_abandoned` allows writing `primary` back over a planned switch the controller abandoned (only for a
    controller known to accept `primary` on update)."""

    def __init__(self, site, name, api_kind="auto", api_version=None, check_mode=False, wait=True,
                 wait_timeout=600, heartbeat=None, warn=None, diff=False, wait_condition="applied",
                 withdraw_abandoned=False):
        self.site, self.name = site, name
        self.layout, self.dags = site.dag_resources(api_kind, api_version, name)
        self.check_mode, self.wait, self.wait_timeout = check_mode, wait, wait_timeout
        self.wait_condition, self.withdraw_abandoned = wait_condition, withdraw_abandoned
        self.heartbeat, self.diff = heartbeat, diff
        self.warn = warn or (lambda text: None)
        self.result = {}
        self._reset()

    def _reset(self):
        self.result = {"changed": False, "api_kind": self.layout, "api_version": self.dags.version}

    def read(self):
        return self.dags.get(self.name)

    def wait_until(self, condition, obj=None):
        return wait_for(self.dags, self.name, condition, self.wait_timeout, obj, heartbeat=self.heartbeat)

    # -- present ------------------------------------------------------------------------------
    def present(self, wanted, cert_file=None, existing=None):
        """Make the resource as `wanted` (dag_spec.FIELDS; None = leave as it is) and return the result.
        `cert_file`: where the partner certificate was read from, for messages; `existing`: the object just read,
        if the caller has it."""
        self._reset()
        existing = existing if existing is not None else self.read()
        found = dag_spec.problems(dict(wanted, name=self.name, remote_mirroring_cert_file=cert_file),
                                  existing is None, self.layout)
        if found:
            raise InvalidInput("arc_dag %s: %s" % (self.name, "; ".join(found)), problems=found)
        if existing is None:
            return self._create(wanted)
        return self._update(existing, wanted)

    def _create(self, wanted):
        instance = self.site.resources(SQL_MANAGED_INSTANCE, name=wanted["local_instance"]).get(
            wanted["local_instance"])
        if instance is None:
            raise InvalidInput("arc_dag %s: local_instance %r does not exist in namespace %r on %s" % (
                self.name, wanted["local_instance"], self.site.namespace, self.site.label))
        self._warn_about_a_dr_site_without_the_dr_licence(instance, wanted.get("role"))
        self.site.check_data_controller()
        body = {"apiVersion": "%s/%s" % (self.dags.kind.group, self.dags.version), "kind": self.layout,
                "metadata": {"name": self.name, "ownerReferences": [{
                    "apiVersion": instance["apiVersion"], "kind": instance["kind"],
                    "name": instance["metadata"]["name"], "uid": instance["metadata"]["uid"]}]},
                "spec": dag_spec.to_spec(wanted, self.layout)}
        obj = self.dags.create(body, dry_run=self.check_mode)
        self.result["changed"] = True
        self._diff({}, body["spec"])
        if self.wait and not self.check_mode:
            obj = self._wait_for_change(obj)
        return self._report(obj, None)

    def _wait_for_change(self, written):
        """Wait for a write that is not a role change, as wait_condition asks; a link the controller does not report
        is said to be unknown."""
        if self.wait_condition != "connected":
            obj = self.wait_until(conditions.dag_applied(written), written)
            if conditions.link_down_failure(obj):
                self.warn(LINK_DOWN % (self.dags.describe(self.name), self.site.label, dag_status.cause(obj)))
            return obj
        obj = self.wait_until(conditions.dag_connected(written), written)
        if dag_status.link(obj) is None:
            self.warn(LINK_UNKNOWN % (self.dags.describe(self.name), self.site.label))
        return obj

    def _warn_about_a_dr_site_without_the_dr_licence(self, instance, role):
        """Arc's DR set-up creates the DR site's instance with the DisasterRecovery licence (it is what lets the
        primary seed it), and the licence only has that effect when set at creation."""
        licence = (instance.get("spec") or {}).get("licenseType", "LicenseIncluded")
        if role == "secondary" and licence != "DisasterRecovery":
            self.warn("%s on %s: its instance %s, the DR site of this DAG, has licence type %s, not DisasterRecovery: "
                      "Arc's DR set-up creates the DR instance with DisasterRecovery (az sql mi-arc create "
                      "--license-type DisasterRecovery), which cannot be given the same effect later"
                      % (self.dags.describe(self.name), self.site.label, instance["metadata"]["name"], licence))

    def _update(self, existing, wanted):
        existing = self._settled(existing)
        abandoned = self._abandoned(existing, wanted.get("role"))
        if abandoned:
            if not self.withdraw_abandoned:
                raise ArcError(abandoned + NOT_WITHDRAWN, site=self.site.label, object=self.dags.describe(self.name))
            if self.check_mode:
                self.warn(abandoned + "; check mode: not withdrawn")
                self.result["changed"] = True
                return self._report(existing, (existing.get("status") or {}).get("role"))
            existing = self._withdraw(existing, abandoned)
        status = existing.get("status") or {}
        current = dag_spec.from_spec(existing.get("spec") or {}, self.layout)
        previous_role = status.get("role")
        action, why_not = role_decision(wanted.get("role"), current["role"], status)
        if why_not:
            raise InvalidInput("arc_dag %s on %s: %s" % (self.name, self.site.label, why_not))
        obj, started = existing, None
        fields = _patch_fields(wanted, current, action)
        if fields:
            self.site.check_data_controller()
            started = time.monotonic(), utc_now()
            obj = self.dags.patch(self.name, {"spec": dag_spec.to_spec(fields, self.layout)},
                                  dry_run=self.check_mode, recompute=self._recompute(wanted, action))
            self.result["changed"] = obj.get("spec") != existing.get("spec")
            if self.result["changed"]:
                self._diff(existing.get("spec"), obj.get("spec"))
        if self.result["changed"] and self.wait and not self.check_mode:
            obj = self.wait_until(conditions.dag_role(ROLE_AFTER[action], obj), obj) if action else \
                self._wait_for_change(obj)
        result = self._report(obj, previous_role)
        if action and started and not self.check_mode:
            result["failover"] = {"action": action, "from_role": previous_role, "to_role": result["role"],
                                  "started": started[1], "finished": utc_now(),
                                  "duration_seconds": round(time.monotonic() - started[0], 3)}
        return result

    def _recompute(self, wanted, action):
        def recompute(latest):
            """After a 409 Conflict: the patch again, from the object as it is now (None: nothing left to do)."""
            again = _patch_fields(wanted, dag_spec.from_spec(latest.get("spec") or {}, self.layout), action)
            return {"spec": dag_spec.to_spec(again, self.layout)} if again else None
        return recompute

    def _settled(self, obj):
        """The resource once the controller has finished with its current generation: a role read while a
        change is still being carried out (the partner's controller promoting this site, say) is not the
        role to decide from."""
        status = obj.get("status") or {}
        generation = obj["metadata"].get("generation")
        if status.get("observedGeneration") in (None, generation) or self.check_mode or not self.wait:
            return obj
        return self.wait_until(conditions.dag_settled(obj), obj)

    def _abandoned(self, existing, desired):
        """A role change asked for earlier that the controller finished with without carrying it out (a planned switch
        it gave up when the link went down, a forced change undone since) leaves spec.role asking for it while
        status.role is still the old role; the controller does not act on an unchanged spec, so asking again needs a
        withdrawal first. Returns the warning that says so, or None. Only when a wait is allowed: the withdrawal
        must settle before the change is asked for again."""
        status = existing.get("status") or {}
        spec_role = dag_spec.from_spec(existing.get("spec") or {}, self.layout)["role"]
        if not self.wait or desired is None or desired != spec_role:
            return None
        action, unused = dag_spec.role_action(desired, status.get("role"))
        if not action or dag_status.state(existing) not in SETTLED_WITHOUT_EFFECT.get(desired, ()):
            return None
        return ABANDONED % (self.name, self.site.label, spec_role, status.get("role"), status.get("state"))

    def _withdraw(self, existing, abandoned):
        """Writes the role the site has back (it has it: nothing changes on the engine), waits until the controller
        has settled that, so that the change can be asked for anew. The Arc CLI never writes 'primary' on update, and
        whether Arc's controller accepts it is not documented; where it refuses, this says so and what to do."""
        self.warn(abandoned + "; withdrawing it and asking again")
        self.site.check_data_controller()
        role = (existing.get("status") or {}).get("role")
        obj = self.dags.patch(self.name, {"spec": dag_spec.to_spec({"role": str(role).lower()}, self.layout)})
        obj = self.wait_until(conditions.dag_settled(obj), obj)
        status = obj.get("status") or {}
        if dag_status.state(obj) != "succeeded" or dag_status.role(obj) != dag_status.role(existing):
            raise ArcError(
                "arc_dag %s on %s: the role change the controller did not carry out could not be withdrawn (state %s, "
                "role %s: %s). Check the partner and the link, then retry with role=force-secondary (demotes at once; "
                "transactions the partner has not hardened are lost) or recreate this DAG resource"
                % (self.name, self.site.label, status.get("state"), status.get("role"),
                   status.get("results") or "no results"), site=self.site.label, object=self.dags.describe(self.name))
        return obj

    def _diff(self, before, after):
        if self.diff:
            self.result["diff"] = spec_diff(before, after, self.layout)

    def _report(self, obj, previous_role):
        self.result.update(reported(obj, previous_role))
        return self.result

    # -- absent -------------------------------------------------------------------------------
    def absent(self):
        self._reset()
        existing = self.read()
        if existing is None:
            return self.result
        self.site.check_data_controller()
        self.dags.delete(self.name, dry_run=self.check_mode)
        self.result["changed"] = True
        self._diff(existing.get("spec"), {})
        if self.wait and not self.check_mode:
            self.wait_until(conditions.deleted(), existing)
        return self.result


def _patch_fields(wanted, current, action):
    """The logical fields to write: those that differ, and the role when it means an action."""
    fields = dict((k, wanted[k]) for k in dag_spec.changed_fields(wanted, current))
    if action:
        fields["role"] = wanted["role"]
    return fields


def role_decision(desired, spec_role, status):
    """(action or None, error or None) for the desired role of an existing resource; see dag_spec.role_action."""
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


def readable_spec(spec, layout):
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


def spec_diff(before, after, layout):
    """The diff of a DAG side's spec, in the options' words."""
    return {"before": readable_spec(before, layout), "after": readable_spec(after, layout)}


def reported(obj, previous_role):
    """What a DAG side's result says of the resource as it now is."""
    status = obj.get("status") or {}
    return dict(resource=obj, role=status.get("role"), previous_role=previous_role, state=status.get("state"),
                status_results=status.get("results"), health=status.get("healthState"),
                replicas=status.get("replicas") or [])
