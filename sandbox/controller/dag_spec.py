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


@dataclass
class DagSpec:
    shared_name: str
    source_mi: str
    partner_mi: str
    partner_url: str
    partner_cert: str
    sync_mode: str
    role: str
    role_path: str  # where the role lives in this layout, for rewriting it

    def role_patch(self, role):
        """The spec patch that sets the role in this layout."""
        return {"input": {"role": role}} if self.role_path == "spec.input.role" else {"role": role}


def from_failover_group(obj):
    spec = obj.get("spec") or {}
    source = spec.get("sourceMI") or ""
    return DagSpec(shared_name=spec.get("sharedName") or source, source_mi=source,
                   partner_mi=spec.get("partnerMI") or "", partner_url=spec.get("partnerMirroringURL") or "",
                   partner_cert=normalise_pem(spec.get("partnerMirroringCert") or ""),
                   sync_mode=str(spec.get("partnerSyncMode") or "async").lower(),
                   role=str(spec.get("role") or "").lower(), role_path="spec.role")


def from_dag(obj):
    spec = (obj.get("spec") or {}).get("input") or {}
    role = spec.get("role")
    if role is None and "isLocalPrimary" in spec:  # CLI 1.0-1.1 wrote a boolean
        role = "primary" if spec["isLocalPrimary"] else "secondary"
    return DagSpec(shared_name=spec.get("dagName") or "", source_mi=spec.get("localName") or "",
                   partner_mi=spec.get("remoteName") or "", partner_url=spec.get("remoteEndpoint") or "",
                   partner_cert=normalise_pem(spec.get("remotePublicCert") or ""), sync_mode="async",
                   role=str(role or "").lower(), role_path="spec.input.role")


def normalise_pem(text):
    return text.replace("\r\n", "\n").strip() + "\n" if text.strip() else ""


def problems(spec, creating, previous_role):
    """What is wrong with the spec; `previous_role` is the role of the last handled generation."""
    found = []
    for label, value in (("shared (DAG) name", spec.shared_name), ("source instance", spec.source_mi),
                         ("partner instance", spec.partner_mi)):
        if not value:
            found.append(f"the {label} is missing")
    if spec.source_mi and spec.source_mi == spec.partner_mi:
        found.append(f"the partner instance must differ from the local one (both are {spec.source_mi!r})")
    if not URL.match(spec.partner_url) or not 0 < int(URL.match(spec.partner_url).group(2)) < 65536:
        found.append(f"the partner mirroring URL {spec.partner_url!r} is not of the form tcp://<host>:<port>")
    found += certificate_problems(spec.partner_cert)
    if spec.sync_mode not in SYNC_MODES:
        found.append(f"partnerSyncMode {spec.sync_mode!r} is not one of {', '.join(SYNC_MODES)}")
    found += role_problems(spec.role, creating, previous_role)
    return found


def certificate_problems(pem):
    if not pem:
        return ["the partner mirroring certificate is empty"]
    blocks = PEM_BLOCK.findall(pem)
    if blocks != ["CERTIFICATE"]:
        return [f"the partner mirroring certificate must be exactly one PEM CERTIFICATE block, found "
                f"{', '.join(blocks) or 'no PEM block'}"]
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        return [f"the partner mirroring certificate does not parse as X.509: {exc}"]
    return []


def role_problems(role, creating, previous_role):
    if creating:
        if role not in CREATE_ROLES:
            return [f"role {role!r} is not accepted at creation; use one of {', '.join(CREATE_ROLES)}"]
        return []
    if role == "primary" and previous_role != "primary":
        return ["role 'primary' is only accepted at creation; fail over with 'secondary' on the current primary, "
                "or 'force-primary-allow-data-loss' on the secondary"]
    if role not in UPDATE_ROLES + ("primary",):
        return [f"role {role!r} is not accepted on update; use one of {', '.join(UPDATE_ROLES)}"]
    return []
