#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_sqlmi
short_description: Create, update or delete an Azure Arc-enabled SQL Managed Instance
version_added: 1.0.0
description:
  - Manages a C(SqlManagedInstance) custom resource and its admin login Secret through the Kubernetes API of one
    site, as C(az sql mi-arc create|update|delete --use-k8s) does.
  - Idempotent. Only the fields given as options are written, with a JSON merge patch of the ones that differ;
    values Arc accepts in several forms (C(bc) and C(BusinessCritical), C(4Gi) and C(4096Mi)) compare equal.
  - O(disaster_recovery_site=true) (the C(az sql mi-arc create --disaster-recovery-site true) option) creates the
    instance with C(spec.licenseType=DisasterRecovery), the licence of a DR replica that is seeded from the primary.
  - The tier is set at creation for good, as is O(disaster_recovery_site); asking for another value on an existing
    instance is an error, reported before anything is written. O(license_type) may change (the switch of a new
    primary's licence after a failover).
  - With O(wait=true), waits until the controller reports C(Ready) for the instance's current generation (watching
    the object, not polling) after a write, and also when nothing had to be written but the instance is not Ready
    for its generation yet (it is still being provisioned, or an earlier change is still being carried out).
  - In direct connection mode (O(connection_mode), detected when not set) the instance is an Azure Resource Manager
    resource, C(Microsoft.AzureArcData/sqlManagedInstances), placed on the site's O(custom_location). It is created
    and changed with a PUT of the whole resource (C(sku), C(properties.licenseType) and the spec as
    C(properties.k8sRaw.spec)), refused while Resource Manager still works on an earlier change, deleted with a
    DELETE that is followed until the resource is gone, and waited for by polling (Resource Manager has no watch)
    for the operation, then for C(Ready) for the projected custom resource's generation.
  - Idempotence in direct mode compares the resource's C(properties.k8sRaw.spec), C(sku.tier) and C(properties.licenseType) with the options. The admin login
    (O(admin_username), O(admin_password)) is sent at creation only (C(properties.basicLoginInformation)); Resource
    Manager never returns the password, so it is not compared afterwards. O(labels), O(annotations),
    O(admin_login_secret) and O(api_version) are for the Kubernetes API only and refused in direct mode.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.wait
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
attributes:
  check_mode:
    support: full
    details:
      - Writes are sent with C(dryRun=All), so the API validates them and stores nothing; waits are skipped.
      - In direct mode (Resource Manager has no dry run) the options are checked locally, nothing is written, and
        RV(arm_request) shows the write that was not sent.
  diff_mode:
    support: full
    details: Shows the spec and metadata before and after; the admin password is never shown.
  idempotent:
    support: full
options:
  name:
    description: Name of the instance (the C(az sql mi-arc create --name) option); at most 60 lowercase letters, digits and C(-).
    type: str
    required: true
  state:
    description: Whether the instance should exist.
    type: str
    choices: [present, absent]
    default: present
  tier:
    description:
      - Service tier. C(gp) and C(GeneralPurpose) are the same tier, as are C(bc) and C(BusinessCritical).
      - Default at creation is C(GeneralPurpose), or C(BusinessCritical) when O(replicas) is above 1.
    type: str
    choices: [gp, bc, GeneralPurpose, BusinessCritical]
  replicas:
    description: Number of replicas; 1 for GeneralPurpose, 2 or 3 for BusinessCritical (default 3).
    type: int
  disaster_recovery_site:
    description:
      - Create the instance as a disaster recovery site, that is with C(spec.licenseType=DisasterRecovery).
      - Only at creation, and not together with another O(license_type).
    type: bool
  license_type:
    description:
      - Licence type; default at creation C(LicenseIncluded).
      - A DR instance is created with C(DisasterRecovery) (see O(disaster_recovery_site)); such an instance accepts no
        client connections.
      - It may change on an existing instance. After a failover that leaves production on the former DR site,
        switch that instance to C(BasePrice) or C(LicenseIncluded) to start billing (and accept clients); after
        the failback, switch it back to C(DisasterRecovery).
    type: str
    choices: [LicenseIncluded, BasePrice, DisasterRecovery]
  dev:
    description: Whether this is a development instance (not billed).
    type: bool
  cores_request:
    description: CPU request per replica, a Kubernetes quantity such as C("2"); a whole number of at least 1.
    type: str
  cores_limit:
    description: CPU limit per replica, a Kubernetes quantity.
    type: str
  memory_request:
    description: Memory request per replica, a Kubernetes quantity of at least C(2Gi).
    type: str
  memory_limit:
    description: Memory limit per replica, a Kubernetes quantity.
    type: str
  storage_class_data:
    description: Storage class of the data volume.
    type: str
  volume_size_data:
    description: Size of the data volume, such as C(5Gi) (default C(5Gi) at creation).
    type: str
  storage_class_logs:
    description: Storage class of the logs volume.
    type: str
  volume_size_logs:
    description: Size of the logs volume (default C(5Gi) at creation).
    type: str
  storage_class_datalogs:
    description: Storage class of the database logs volume.
    type: str
  volume_size_datalogs:
    description: Size of the database logs volume.
    type: str
  storage_class_backups:
    description: Storage class of the backups volume (needs ReadWriteMany).
    type: str
  volume_size_backups:
    description: Size of the backups volume.
    type: str
  service_type:
    description: Type of the instance's external service.
    type: str
    choices: [LoadBalancer, NodePort]
  readable_secondaries:
    description: Number of readable secondary replicas, from 0 to O(replicas) - 1.
    type: int
  collation:
    description: Server collation (C(spec.settings.collation)), such as C(SQL_Latin1_General_CP1_CI_AS).
    type: str
  admin_login_secret:
    description: Name of the Secret holding the admin login; default C(<name>-login-secret).
    type: str
  admin_username:
    description:
      - Admin login name, written to the admin login Secret. Not C(sa).
      - Required, with O(admin_password), when the Secret does not exist yet.
    type: str
  admin_password:
    description:
      - Admin login password, written to the admin login Secret; at least 8 characters from 3 of lowercase,
        uppercase, digits and symbols, not containing the username. Never shown in output or diffs.
      - When the Secret exists and holds another password, the Secret is updated.
    type: str
  labels:
    description: Labels to set on the instance (others are left alone).
    type: dict
  annotations:
    description: Annotations to set on the instance (others are left alone).
    type: dict
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred version the site serves.
    type: str
notes:
  - With O(state=absent), the admin login Secret is deleted too when this collection created it (label
    C(app.kubernetes.io/managed-by=arcdata.sqlmi)).
seealso:
  - module: arcdata.sqlmi.arc_sqlmi_info
  - module: arcdata.sqlmi.arc_mirroring_cert
"""

EXAMPLES = r"""
- name: Provision the primary instance (step 1 of the DR set-up)
  arcdata.sqlmi.arc_sqlmi:
    kubeconfig: /etc/arc/primary.kubeconfig
    namespace: my-namespace
    name: sqlprimary
    tier: bc
    replicas: 3
    admin_username: dbadmin
    admin_password: "{{ vault_sqlmi_admin_password }}"

- name: Provision the DR instance on the secondary site (step 2 of the DR set-up)
  arcdata.sqlmi.arc_sqlmi:
    kubeconfig: /etc/arc/secondary.kubeconfig
    namespace: my-namespace
    name: sqlsecondary
    tier: bc
    replicas: 3
    disaster_recovery_site: true
    admin_username: dbadmin
    admin_password: "{{ vault_sqlmi_admin_password }}"

- name: Provision an instance through Azure Resource Manager (direct connection mode)
  arcdata.sqlmi.arc_sqlmi:
    connection_mode: direct
    resource_group: arc-rg
    custom_location: arc-primary-location
    name: sqlprimary
    tier: bc
    replicas: 3
    admin_username: dbadmin
    admin_password: "{{ vault_sqlmi_admin_password }}"

- name: Give the instance more memory, waiting until it is Ready again
  arcdata.sqlmi.arc_sqlmi:
    name: sqlprimary
    memory_request: 8Gi
    memory_limit: 8Gi
"""

RETURN = r"""
instance:
  description:
    - The SqlManagedInstance as the API returned it (it never holds credentials); in direct mode the Resource Manager
      resource, without its admin login.
  returned: when state=present (in direct mode, not in check mode for an instance still to be created)
  type: dict
state:
  description: The instance's C(status.state), such as C(Ready).
  returned: when state=present
  type: str
  sample: Ready
endpoints:
  description: The instance's C(status.endpoints) (C(primary) is C(ip,port) for clients, C(mirroring) is C(ip:port)).
  returned: when state=present
  type: dict
  sample: {"primary": "10.20.5.50,1433", "mirroring": "10.20.5.50:5022"}
mirroring_url:
  description: C(tcp://) followed by C(status.endpoints.mirroring), what the partner's DAG resource needs.
  returned: when the instance publishes a mirroring endpoint
  type: str
  sample: tcp://10.20.5.50:5022
summary:
  description:
    - The instance summarised as an item of RV(arcdata.sqlmi.arc_sqlmi_info#module:instances) (state, readiness for
      its generation, endpoints, high availability, mirroring certificate facts, spec), as last read.
  returned: when state=present
  type: dict
api_version:
  description: The C(sql.arcdata.microsoft.com) version used; in direct mode the C(Microsoft.AzureArcData) API version.
  returned: always
  type: str
  sample: v13
resource_id:
  description: The instance's Azure Resource Manager ID.
  returned: in direct mode
  type: str
  sample: /subscriptions/0000/resourceGroups/arc-rg/providers/Microsoft.AzureArcData/sqlManagedInstances/sqlprimary
arm_request:
  description:
    - In check mode in direct mode, the write that was not sent (Resource Manager has no dry run), the admin password
      masked.
  returned: in direct mode, in check mode, when a write is needed
  type: dict
  contains:
    method:
      description: C(PUT) or C(DELETE).
      type: str
    url:
      description: The request URL, with its C(api-version).
      type: str
    body:
      description: The PUT body, or null.
      type: dict
    sent:
      description: Always false.
      type: bool
"""

import copy

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, instance_summary, sqlmi_spec
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.sqlmi_direct import DirectInstanceTask
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import wait_for

MANAGED_BY = "app.kubernetes.io/managed-by"
HIDDEN = "(hidden)"


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tier=dict(type="str", choices=sqlmi_spec.TIER_CHOICES),
        replicas=dict(type="int"),
        disaster_recovery_site=dict(type="bool"),
        license_type=dict(type="str", choices=sqlmi_spec.LICENSE_TYPES),
        dev=dict(type="bool"),
        cores_request=dict(type="str"),
        cores_limit=dict(type="str"),
        memory_request=dict(type="str"),
        memory_limit=dict(type="str"),
        service_type=dict(type="str", choices=sqlmi_spec.SERVICE_TYPES),
        readable_secondaries=dict(type="int"),
        collation=dict(type="str"),
        admin_login_secret=dict(type="str", no_log=False),
        admin_username=dict(type="str"),
        admin_password=dict(type="str", no_log=True),
        labels=dict(type="dict"),
        annotations=dict(type="dict"),
        api_version=dict(type="str"),
    )
    for volume in sqlmi_spec.STORAGE_VOLUMES:
        spec["storage_class_%s" % volume] = dict(type="str")
        spec["volume_size_%s" % volume] = dict(type="str")
    return spec


class InstanceTask(object):
    def __init__(self, arc):
        self.arc = arc
        self.params = arc.params
        self.name = self.params["name"]
        self.instances = arc.resources(SQL_MANAGED_INSTANCE, self.params["api_version"], self.name)
        self.secrets = arc.secrets()
        self.result = {"changed": False, "api_version": self.instances.version}
        self.diff = {"before": {}, "after": {}}

    # -- present ------------------------------------------------------------------------------
    def present(self):
        existing = self.instances.get(self.name)
        found = sqlmi_spec.problems(self.params, existing) + sqlmi_spec.credential_problems(
            self.params.get("admin_username"), self.params.get("admin_password"))
        if found:
            raise InvalidInput("arc_sqlmi %s: %s" % (self.name, "; ".join(found)), problems=found)
        secret_plan = self._plan_secret(existing)
        wanted = sqlmi_spec.desired_spec(self.params, existing)
        if existing is None:
            obj = self._create(wanted, secret_plan)
        else:
            obj = self._update(existing, wanted, secret_plan)
        if self._must_wait(obj):
            obj = wait_for(self.instances, self.name, conditions.instance_ready(obj["metadata"]["generation"]),
                           self.params["wait_timeout"], obj)
        return self._report(obj)

    def _must_wait(self, obj):
        """A write is waited for, and so is an instance not Ready for its generation yet: 'wait' promises an
        instance that is Ready as asked when the module returns, whoever started the change."""
        if not self.params["wait"] or self.arc.check_mode:
            return False
        return self.result["changed"] or not conditions.ready_for_its_generation(obj)

    def _plan_secret(self, existing):
        """('create'|'update'|None, secret name) for the admin login Secret; fails early when credentials are
        needed and missing."""
        name = sqlmi_spec.admin_secret_name(self.params, existing)
        username, password = self.params.get("admin_username"), self.params.get("admin_password")
        secret = self.secrets.get(name)
        if secret is None:
            if not (username and password):
                raise InvalidInput("arc_sqlmi %s: the admin login Secret %r does not exist in namespace %r on %s: "
                                   "give admin_username and admin_password to create it, or admin_login_secret "
                                   "naming an existing one" % (self.name, name, self.arc.namespace, self.arc.site))
            return "create", name
        current_username, current_password = sqlmi_spec.secret_values(secret)
        if (username and username != current_username) or (password and password != current_password):
            return "update", name
        return None, name

    def _write_secret(self, action, name):
        if action is None:
            return
        current_username, current_password = (None, None) if action == "create" else \
            sqlmi_spec.secret_values(self.secrets.get(name))
        body = sqlmi_spec.secret_body(name, self.params["admin_username"] or current_username,
                                      self.params["admin_password"] or current_password)
        if action == "create":
            self.secrets.create(body, dry_run=self.arc.check_mode)
        else:
            self.secrets.patch(name, {"data": body["data"]}, dry_run=self.arc.check_mode)
        self.result["changed"] = True
        self.diff["before"]["admin_login_secret"] = {"name": name, "password": HIDDEN} if action == "update" else {}
        self.diff["after"]["admin_login_secret"] = {"name": name, "password": "(hidden, changed)"}

    def _create(self, wanted, secret_plan):
        self.arc.check_data_controller()
        self._write_secret(*secret_plan)
        body = {"apiVersion": "%s/%s" % (SQL_MANAGED_INSTANCE.group, self.instances.version),
                "kind": SQL_MANAGED_INSTANCE.kind,
                "metadata": {"name": self.name, "labels": self.params.get("labels") or {},
                             "annotations": self.params.get("annotations") or {}},
                "spec": wanted}
        obj = self.instances.create(body, dry_run=self.arc.check_mode)
        self.result["changed"] = True
        self.diff["after"].update({"metadata": body["metadata"], "spec": wanted})
        return obj

    def _update(self, existing, wanted, secret_plan):
        spec_patch = sqlmi_spec.spec_patch(wanted, existing.get("spec") or {})
        metadata_patch = sqlmi_spec.metadata_patch(self.params, existing.get("metadata") or {})
        if spec_patch or metadata_patch or secret_plan[0]:
            self.arc.check_data_controller()
        self._write_secret(*secret_plan)
        if not (spec_patch or metadata_patch):
            return existing
        patch = {}
        if spec_patch:
            patch["spec"] = spec_patch
        if metadata_patch:
            patch["metadata"] = metadata_patch

        def recompute(current):
            again = {"spec": sqlmi_spec.spec_patch(wanted, current.get("spec") or {}),
                     "metadata": sqlmi_spec.metadata_patch(self.params, current.get("metadata") or {})}
            again = dict((k, v) for k, v in again.items() if v)
            return again or None
        obj = self.instances.patch(self.name, patch, dry_run=self.arc.check_mode, recompute=recompute)
        changed = obj.get("spec") != existing.get("spec") or _labels(obj) != _labels(existing)
        self.result["changed"] = self.result["changed"] or changed
        if changed:
            self.diff["before"].update({"metadata": _labels(existing), "spec": existing.get("spec")})
            self.diff["after"].update({"metadata": _labels(obj), "spec": obj.get("spec")})
        return obj

    def _report(self, obj):
        status = obj.get("status") or {}
        endpoints = status.get("endpoints") or {}
        self.result.update(instance=_without_noise(obj), state=status.get("state"), endpoints=endpoints,
                           summary=instance_summary.summarize(obj))
        if endpoints.get("mirroring"):
            self.result["mirroring_url"] = "tcp://%s" % endpoints["mirroring"]
        if self.arc.module._diff and self.result["changed"]:  # pylint: disable=protected-access
            self.result["diff"] = self.diff
        return self.result

    # -- absent -------------------------------------------------------------------------------
    def absent(self):
        existing = self.instances.get(self.name)
        if existing is None:
            return self.result
        self.arc.check_data_controller()
        self.instances.delete(self.name, dry_run=self.arc.check_mode)
        self.result["changed"] = True
        self.diff = {"before": {"spec": existing.get("spec")}, "after": {}}
        secret_name = ((existing.get("spec") or {}).get("security") or {}).get("adminLoginSecret")
        secret = self.secrets.get(secret_name) if secret_name else None
        labels = ((secret or {}).get("metadata") or {}).get("labels") or {}
        if secret is not None and labels.get(MANAGED_BY) == "arcdata.sqlmi":
            self.secrets.delete(secret_name, dry_run=self.arc.check_mode)
        if self.params["wait"] and not self.arc.check_mode:
            wait_for(self.instances, self.name, conditions.deleted(), self.params["wait_timeout"], existing)
        if self.arc.module._diff:  # pylint: disable=protected-access
            self.result["diff"] = self.diff
        return self.result


def _labels(obj):
    metadata = obj.get("metadata") or {}
    return {"labels": metadata.get("labels") or {}, "annotations": metadata.get("annotations") or {}}


def _without_noise(obj):
    """The object as returned, minus bookkeeping that only makes output longer."""
    obj = copy.deepcopy(obj)
    (obj.get("metadata") or {}).pop("managedFields", None)
    return obj


def run(arc):
    if arc.connect_either(arc.params["wait_timeout"]).direct:
        task = DirectInstanceTask(arc)
    else:
        task = InstanceTask(arc)
    return task.present() if arc.params["state"] == "present" else task.absent()


def main():
    arc = ArcModule(argument_spec(), azure=True)
    arc.run(run)


if __name__ == "__main__":
    main()
