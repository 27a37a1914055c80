"""One DAG engine behind two field layouts: FailoverGroup (`spec.*`, current Arc) and the retired
Dag (`spec.input.*`, the seed document's era). Pure functions: parse either into a `DagSpec`,
and list what is wrong with it."""
import re
from dataclasses import dataclass

from cryptography import x509

CREATE_ROLES = ("primary", "secondary")
UPDATE_ROLES = ("secondary", "force-primary-allow-data-loss", "force-secondary")
SYNC_MODES = ("async", "sync")
URL = re.compile(r"^tcp://([^\s:/]+):(\d{1,5})$")
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


# Where each fact lives in the two layouts; messages name the field the user wrote.
FAILOVER_GROUP_FIELDS = {"shared_name": "spec.sharedName", "source_mi": "spec.sourceMI", "partner_mi": "spec.partnerMI",
                         "partner_url": "spec.partnerMirroringURL", "partner_cert": "spec.partnerMirroringCert",
                         "sync_mode": "spec.partnerSyncMode", "role": "spec.role"}
DAG_FIELDS = {"shared_name": "spec.input.dagName", "source_mi": "spec.input.localName",
              "partner_mi": "spec.input.remoteName", "partner_url": "spec.input.remoteEndpoint",
              "partner_cert": "spec.input.remotePublicCert", "sync_mode": "(none: always async)",
              "role": "spec.input.role"}


@dataclass
class DagSpec:
    shared_name: str
    source_mi: str
    partner_mi: str
    partner_url: str
    partner_cert: str
    sync_mode: str
    role: str
    fields: dict  # FAILOVER_GROUP_FIELDS or DAG_FIELDS

    def role_patch(self, role):
        """The spec patch that sets the role in this layout."""
        return self.field_patch("role", role)

    def field_patch(self, name, value):
        """The spec patch that sets field `name` (a DagSpec attribute) in this layout; None if the layout has
        no such field (the Dag kind has no sync mode: it is always async)."""
        path = self.fields[name]
        if not path.startswith("spec."):
            return None
        parts = path.split(".")[1:]
        patch = {parts[-1]: value}
        for part in reversed(parts[:-1]):
            patch = {part: patch}
        return patch


def from_failover_group(obj):
    spec = obj.get("spec") or {}
    source = spec.get("sourceMI") or ""
    return DagSpec(shared_name=spec.get("sharedName") or source, source_mi=source,
                   partner_mi=spec.get("partnerMI") or "", partner_url=spec.get("partnerMirroringURL") or "",
                   partner_cert=normalise_pem(spec.get("partnerMirroringCert") or ""),
                   sync_mode=str(spec.get("partnerSyncMode") or "async").lower(),
                   role=str(spec.get("role") or "").lower(), fields=FAILOVER_GROUP_FIELDS)


def from_dag(obj):
    spec = (obj.get("spec") or {}).get("input") or {}
    role = spec.get("role")
    if role is None and "isLocalPrimary" in spec:  # CLI 1.0-1.1 wrote a boolean
        role = "primary" if spec["isLocalPrimary"] else "secondary"
    return DagSpec(shared_name=spec.get("dagName") or "", source_mi=spec.get("localName") or "",
                   partner_mi=spec.get("remoteName") or "", partner_url=spec.get("remoteEndpoint") or "",
                   partner_cert=normalise_pem(spec.get("remotePublicCert") or ""), sync_mode="async",
                   role=str(role or "").lower(), fields=DAG_FIELDS)


def normalise_pem(text):
    return text.replace("\r\n", "\n").strip() + "\n" if text.strip() else ""


def problems(spec, creating, previous_role):
    """What is wrong with the spec; `previous_role` is the role of the last handled generation."""
    field = spec.fields
    found = [f"{field[name]} is missing ({label})" for name, label in (
        ("shared_name", "the distributed availability group name"), ("source_mi", "the local instance"),
        ("partner_mi", "the partner instance")) if not getattr(spec, name)]
    if spec.source_mi and spec.source_mi == spec.partner_mi:
        found.append(f"{field['partner_mi']} must name the other site's instance, not the local one "
                     f"(both are {spec.source_mi!r})")
    match = URL.match(spec.partner_url)
    if not match or not 0 < int(match.group(2)) < 65536:
        found.append(f"{field['partner_url']} {spec.partner_url!r} is not of the form tcp://<host>:<port>")
    found += [f"{field['partner_cert']}: {p}" for p in certificate_problems(spec.partner_cert)]
    if spec.sync_mode not in SYNC_MODES:
        found.append(f"{field['sync_mode']} {spec.sync_mode!r} is not one of {', '.join(SYNC_MODES)}")
    found += [f"{field['role']}: {p}" for p in role_problems(spec.role, creating, previous_role)]
    return found


def certificate_problems(pem):
    """What is wrong with the pinned partner certificate; never quotes its content (it may be a key)."""
    if not pem:
        return ["the partner's mirroring certificate is empty"]
    blocks = PEM_BLOCK.findall(pem)
    if any("PRIVATE" in block for block in blocks):
        return ["the partner's mirroring certificate holds a private key (its content is not shown): give the "
                "partner's public certificate (status.highAvailability.mirroringCertificate)"]
    if blocks != ["CERTIFICATE"]:
        return ["the partner's mirroring certificate must be exactly one PEM CERTIFICATE block, found "
                f"{', '.join(blocks) or 'no PEM block'}"]
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        return [f"the partner's mirroring certificate does not parse as X.509: {exc}"]
    return []


def role_problems(role, creating, previous_role):
    if creating:
        if role not in CREATE_ROLES:
            return [f"role {role!r} is not accepted at creation; use one of {', '.join(CREATE_ROLES)}"]
        return []
    if role == "primary" and previous_role != "primary":
        return ["role 'primary' is only accepted at creation; an update accepts one of "
                f"{', '.join(UPDATE_ROLES)}: fail over with 'secondary' on the current primary, or "
                "'force-primary-allow-data-loss' on the secondary"]
    if role not in UPDATE_ROLES + ("primary",):
        return [f"role {role!r} is not accepted on update; use one of {', '.join(UPDATE_ROLES)}"]
    return []
