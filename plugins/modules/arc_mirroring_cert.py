#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_mirroring_cert
short_description: Read, check and save an Arc SQL Managed Instance's mirroring certificate
version_added: 1.0.0
description:
  - What C(az sql mi-arc get-mirroring-cert) does. Reads C(status.highAvailability.mirroringCertificate)
    of a C(SqlManagedInstance) through the Kubernetes API, normalises the PEM (Arc publishes it with CRLF line
    breaks), checks that it is exactly one valid X.509 certificate, and optionally writes it to O(dest).
  - Returns the mirroring URL the partner's DAG resource needs (C(tcp://) plus C(status.endpoints.mirroring)),
    the certificate's SHA-256 fingerprint and its validity.
  - Fails when the certificate expires sooner than O(min_days_valid) days, and warns when it expires sooner than
    O(warn_days_valid) days.
  - In direct connection mode (O(connection_mode), detected when not set) it reads the same fields from the Azure
    Resource Manager resource (C(properties.k8sRaw.status.highAvailability.mirroringCertificate) and
    C(properties.k8sRaw.status.endpoints.mirroring)); waits poll, as Resource Manager has no watch.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.wait
  - ansible.builtin.files
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
attributes:
  check_mode:
    support: full
    details: Reads as usual; O(dest) is not written, but RV(ignore:changed) says whether it would be.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: O(dest) is only rewritten when its content differs.
options:
  name:
    description: Name of the instance.
    type: str
    required: true
  dest:
    description:
      - File to write the normalised PEM to (the C(az sql mi-arc get-mirroring-cert --cert-file) option), atomically; the usual file attributes
        apply. Only rewritten when the content differs.
    type: path
  min_days_valid:
    description: Fail when the certificate expires in fewer than this many days (0 only refuses an expired one).
    type: int
    default: 0
  warn_days_valid:
    description:
      - Warn (an Ansible warning naming the site, the instance, the expiry date and the days left) when the
        certificate expires in fewer than this many days; 0 never warns.
      - An expired mirroring certificate refuses every new mirroring connection, so the partner must pin its
        successor before then.
    type: int
    default: 0
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred the site serves.
    type: str
notes:
  - An instance that is not C(Ready) yet publishes no certificate; with O(wait=true) (the default) the module waits
    for it.
seealso:
  - module: arcdata.sqlmi.arc_dag
"""

EXAMPLES = r"""
- name: Save each site's mirroring certificate (step 3 of the DR set-up)
  arcdata.sqlmi.arc_mirroring_cert:
    name: sqlprimary
    dest: "{{ playbook_dir }}/sqlcerts/sqlprimary.pem"
    mode: "0644"
    min_days_valid: 7
    warn_days_valid: 30
  register: primary_cert

- name: Show where the partner must connect
  ansible.builtin.debug:
    msg: "{{ primary_cert.mirroring_url }} {{ primary_cert.fingerprint_sha256 }}"
"""

RETURN = r"""
certificate:
  description:
    - The certificate as PEM with LF line breaks (a public certificate; no key is ever returned).
    - Null in check mode when the instance does not exist yet (a warning says so).
  returned: success
  type: str
mirroring_url:
  description: C(tcp://) followed by the instance's C(status.endpoints.mirroring).
  returned: success
  type: str
  sample: tcp://10.20.5.50:5022
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate, colon-separated hex.
  returned: success
  type: str
not_before:
  description: Start of validity, UTC, ISO 8601.
  returned: success
  type: str
not_after:
  description: End of validity, UTC, ISO 8601.
  returned: success
  type: str
days_remaining:
  description: Whole days until RV(not_after).
  returned: success
  type: int
subject:
  description: Subject of the certificate (Arc issues C(CN=dbm)).
  returned: success
  type: str
issuer:
  description: Issuer of the certificate (Arc's C(CN=Cluster Certificate Authority)).
  returned: success
  type: str
dest:
  description: The file written, as given.
  returned: when O(dest) is set
  type: str
"""

import os

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates, conditions
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_instances import ArmInstances
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ArcError
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import SQL_MANAGED_INSTANCE
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import poll_for, wait_for


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        dest=dict(type="path"),
        min_days_valid=dict(type="int", default=0),
        warn_days_valid=dict(type="int", default=0),
        api_version=dict(type="str"),
    )


def _published(arc, instances, name):
    """The instance once it publishes its certificate; None in check mode when it does not yet (an earlier
    task of the same check-mode run would have created it)."""
    obj = instances.get(name)
    condition = conditions.instance_certificate()
    if obj is not None and condition.check(obj)[0]:
        return obj
    if arc.check_mode:
        arc.module.warn("%s: %s %s, so its mirroring certificate cannot be read in check mode" % (
            arc.site, instances.describe(name), "does not exist" if obj is None else "publishes no certificate yet"))
        return None
    if obj is None:
        what = instances.describe(name) if arc.direct_site else "SqlManagedInstance %s/%s" % (arc.namespace, name)
        raise ArcError("%s: %s does not exist" % (arc.site, what))
    if arc.params["wait"]:
        wait = poll_for if getattr(instances, "polled", False) else wait_for  # Resource Manager has no watch
        return wait(instances, name, condition, arc.params["wait_timeout"], obj)
    raise ArcError("%s: %s publishes no mirroring certificate yet (%s); set wait=true to wait for it" % (
        arc.site, instances.describe(name), condition.check(obj)[3]))


def _write(arc, pem):
    """Write `pem` to dest if it differs; returns whether it did (or would, in check mode)."""
    dest = arc.params["dest"]
    try:
        with open(dest, "r") as handle:
            current = handle.read()
    except (IOError, OSError):
        current = None
    changed = current != pem
    if changed and not arc.check_mode:
        directory = os.path.dirname(dest) or "."
        if not os.path.isdir(directory):
            raise ArcError("dest %r: directory %r does not exist" % (dest, directory))
        temporary = os.path.join(arc.module.tmpdir, "mirroring-cert.pem")
        with open(temporary, "w") as handle:
            handle.write(pem)
        arc.module.atomic_move(temporary, dest)
    file_args = arc.module.load_file_common_arguments(arc.params, path=dest)
    if not arc.check_mode or os.path.exists(dest):
        changed = arc.module.set_fs_attributes_if_different(file_args, changed)
    return changed


def run(arc):
    params = arc.params
    if arc.connect_either(params["wait_timeout"]).direct:
        arc.direct_site.check_scope()
        instances = ArmInstances(arc.direct_site)
    else:
        instances = arc.resources(SQL_MANAGED_INSTANCE, params["api_version"], params["name"])
    obj = _published(arc, instances, params["name"])
    if obj is None:
        return dict(changed=bool(params["dest"]), certificate=None, mirroring_url=None)
    status = obj["status"]
    what = "the mirroring certificate of %s" % instances.describe(params["name"])
    try:
        cert = certificates.parse_certificate(status["highAvailability"]["mirroringCertificate"], what)
    except certificates.CertificateError as exc:
        raise ArcError("%s: %s" % (arc.site, exc))
    problem = certificates.validity_problem(cert, params["min_days_valid"], what)
    if problem:
        raise ArcError("%s: %s" % (arc.site, problem), **certificates.describe(cert))
    facts = certificates.describe(cert)
    if facts["days_remaining"] < params["warn_days_valid"]:
        arc.module.warn("%s: %s expires on %s, in %d days (fewer than warn_days_valid=%d); an expired certificate "
                        "refuses every new mirroring connection, so renew it before then and pin the new one in the "
                        "partner's DAG resource" % (arc.site, what, facts["not_after"], facts["days_remaining"],
                                                    params["warn_days_valid"]))
    pem = certificates.normalise_pem(status["highAvailability"]["mirroringCertificate"])
    result = dict(changed=False, certificate=pem, mirroring_url="tcp://%s" % status["endpoints"]["mirroring"],
                  **facts)
    if params["dest"]:
        result["changed"] = _write(arc, pem)
        result["dest"] = params["dest"]
    return result


def main():
    ArcModule(argument_spec(), add_file_common_args=True, azure=True).run(run)


if __name__ == "__main__":
    main()
