# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_dag's options (the `az sql mi-arc dag` vocabulary) as one site's DAG resource, in
either layout: FailoverGroup (`spec.*`, current Arc) or the retired Dag (`spec.input.*`, 2022).

    dag_name             -> sharedName            | input.dagName
    local_instance       -> sourceMI              | input.localName
    remote_instance      -> partnerMI             | input.remoteName
    remote_mirroring_url -> partnerMirroringURL   | input.remoteEndpoint
    remote_mirroring_cert-> partnerMirroringCert  | input.remotePublicCert
    sync_mode            -> partnerSyncMode       | (none: the Dag era was async only)
    role                 -> role                  | input.role

Pure functions, and the role rules: creation takes `primary` or `secondary`; afterwards the
desired role is compared with `status.role` (the partner's controller may rewrite `spec.role`
during a switch), so `secondary` on a site that already is Secondary changes nothing, and
`primary` is refused on an existing resource: promotion comes from demoting the partner, or forcing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from .certificates import CertificateError, instance_names, normalise_pem, parse_certificate

CREATE_ROLES = ["primary", "secondary"]
ROLES = ["primary", "secondary", "force-primary-allow-data-loss", "force-secondary"]
SYNC_MODES = ["async", "sync"]
URL = re.compile(r"^tcp://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):([0-9]{1,5})$")
RESOURCE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
INSTANCE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
FIELDS = ("dag_name", "local_instance", "remote_instance", "remote_mirroring_url", "remote_mirroring_cert",
          "sync_mode", "role")
FAILOVER_GROUP_PATHS = {"dag_name": "sharedName", "local_instance": "sourceMI", "remote_instance": "partnerMI",
                        "remote_mirroring_url": "partnerMirroringURL",
                        "remote_mirroring_cert": "partnerMirroringCert", "sync_mode": "partnerSyncMode",
                        "role": "role"}
DAG_PATHS = {"dag_name": "dagName", "local_instance": "localName", "remote_instance": "remoteName",
             "remote_mirroring_url": "remoteEndpoint", "remote_mirroring_cert": "remotePublicCert", "role": "role"}
# what each desired role means for a site whose status.role is Primary / Secondary: None = nothing to do
ROLE_ACTIONS = {
    ("secondary", "Primary"): "planned failover", ("secondary", "Secondary"): None,
    ("force-secondary", "Primary"): "forced demotion", ("force-secondary", "Secondary"): None,
    ("force-primary-allow-data-loss", "Secondary"): "forced failover",
    ("force-primary-allow-data-loss", "Primary"): None,
    ("primary", "Primary"): None,
}


def to_spec(fields, layout):
    """The resource spec for the logical `fields` (missing ones left out) in `layout` ('FailoverGroup'/'Dag')."""
    paths = FAILOVER_GROUP_PATHS if layout == "FailoverGroup" else DAG_PATHS
    values = dict((paths[k], v) for k, v in fields.items() if v is not None and k in paths)
    return values if layout == "FailoverGroup" else {"input": values}


def from_spec(spec, layout):
    """The logical fields of an existing resource's spec."""
    if layout == "FailoverGroup":
        values = dict((k, spec.get(path)) for k, path in FAILOVER_GROUP_PATHS.items())
        values["dag_name"] = values["dag_name"] or values["local_instance"]  # Arc: sharedName defaults to sourceMI
        return values
    source = spec.get("input") or {}
    values = dict((k, source.get(path)) for k, path in DAG_PATHS.items())
    if values["role"] is None and "isLocalPrimary" in source:  # CLI 1.0-1.1 wrote a boolean
        values["role"] = "primary" if source["isLocalPrimary"] else "secondary"
    values["sync_mode"] = "async"
    return values


def comparable(values):
    """Field values as compared for idempotence: PEM in one form, modes and roles in lower case."""
    out = dict(values)
    if out.get("remote_mirroring_cert") is not None:
        out["remote_mirroring_cert"] = normalise_pem(out["remote_mirroring_cert"])
    for key in ("sync_mode", "role"):
        if out.get(key) is not None:
            out[key] = str(out[key]).lower()
    return out


def changed_fields(wanted, current):
    """Logical fields (other than role) whose wanted value differs from the current one."""
    wanted, current = comparable(wanted), comparable(current)
    return [k for k in FIELDS if k != "role" and wanted.get(k) is not None and wanted[k] != current.get(k)]


def role_action(desired, status_role):
    """('action', None) or (None, 'why not'): what asking for `desired` means for a site whose status.role
    is `status_role` (Primary, Secondary, or something else while the controller works)."""
    if desired is None:
        return None, None
    key = (desired, status_role)
    if key in ROLE_ACTIONS:
        return ROLE_ACTIONS[key], None
    if desired == "primary":
        return None, ("role=primary cannot be set on an existing resource whose status.role is %s: Arc promotes "
                      "a site when its partner is demoted (role=secondary on the partner, a planned failover) or "
                      "when it is forced (role=force-primary-allow-data-loss here, with possible data loss)"
                      % status_role)
    return None, ("status.role is %r (not Primary or Secondary): wait until the controller settles the resource "
                  "before changing its role" % status_role)


# what creating a side needs, by transport: through Resource Manager (direct mode) the service fills the shared name,
# the partner's URL and its certificate when they are not sent, as `az sql instance-failover-group-arc create` does
CREATE_REQUIRED = ("dag_name", "local_instance", "remote_instance", "remote_mirroring_url", "role")
CREATE_REQUIRED_DIRECT = ("local_instance", "remote_instance", "role")


def problems(params, creating, layout, direct=False):
    """Everything wrong with arc_dag's options, found before any write. `direct`: the resource is an Azure Resource
    Manager failover group (its name is not a Kubernetes name, and the service fills what creation does not send)."""
    found = []
    name = params["name"]
    if direct:
        if not name or "/" in name:
            found.append("name %r is not a valid failover group name: it must be non-empty, without '/'" % name)
    elif len(name) > 253 or not RESOURCE_NAME.match(name):
        found.append("name %r is not a valid Kubernetes resource name: lowercase letters, digits, '-' and '.', "
                     "starting and ending with a letter or digit (a name such as 'dagPrimary' must be written "
                     "'dagprimary')" % name)
    for option in ("local_instance", "remote_instance"):
        value = params.get(option)
        if value is not None and (len(value) > 60 or not INSTANCE_NAME.match(value)):
            found.append("%s=%r is not a valid instance name: lowercase letters, digits and '-', starting with a "
                         "letter, at most 60 characters" % (option, value))
    local, remote = params.get("local_instance"), params.get("remote_instance")
    if local and remote and local == remote:
        found.append("local_instance and remote_instance are both %r: the two sites' instances must have "
                     "different names" % local)
    url = params.get("remote_mirroring_url")
    if url is not None:
        match = URL.match(url)
        if not match or not 0 < int(match.group(2)) < 65536:
            found.append("remote_mirroring_url=%r must be tcp://<host>:<port>, the partner instance's "
                         "status.endpoints.mirroring with tcp:// in front (e.g. tcp://10.20.5.20:5022)" % url)
    if creating:
        for option in CREATE_REQUIRED_DIRECT if direct else CREATE_REQUIRED:
            if params.get(option) is None:
                found.append("%s is required to create the DAG resource %r" % (option, name))
        if params.get("remote_mirroring_cert") is None and not direct:
            found.append("remote_mirroring_cert or remote_mirroring_cert_file is required to create the DAG "
                         "resource %r: the partner instance's mirroring certificate (PEM)" % name)
        if params.get("role") is not None and params["role"] not in CREATE_ROLES:
            found.append("role=%r is not accepted at creation: use primary or secondary" % params["role"])
    owner = certificate_owner_problem(params)
    if owner:
        found.append(owner)
    if layout == "Dag" and params.get("sync_mode") not in (None, "async"):
        found.append("sync_mode=%r is not available with the legacy Dag resource (2022 era): it is always async"
                     % params["sync_mode"])
    return found


def certificate_owner_problem(params):
    """A partner certificate that Arc issued to another instance than remote_instance: this site's own (the two
    files of a swap mixed up) or a third one. Arc's certificates name their instance in DNS names
    (`<instance>-svc`); a certificate that names none is not judged here."""
    pem, remote = params.get("remote_mirroring_cert"), params.get("remote_instance")
    if not pem or not remote:
        return None
    try:
        owners = instance_names(parse_certificate(pem))
    except CertificateError:
        return None  # the caller reports what is wrong with the text itself
    if not owners or remote in owners:
        return None
    option = "remote_mirroring_cert_file %r" % params["remote_mirroring_cert_file"] \
        if params.get("remote_mirroring_cert_file") else "remote_mirroring_cert"
    if owners[0] == params.get("local_instance"):
        return ("%s is the mirroring certificate of local_instance %r, this site's own (DNS name %r): give the "
                "certificate of remote_instance %r, which the partner site publishes" % (
                    option, owners[0], owners[0] + "-svc", remote))
    return ("%s is the mirroring certificate of instance %r (DNS name %r), not of remote_instance %r: give the "
            "certificate remote_instance's site publishes (arcdata.sqlmi.arc_mirroring_cert there)" % (
                option, owners[0], owners[0] + "-svc", remote))
