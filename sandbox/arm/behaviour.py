"""What the emulated Azure does where the sources leave a choice: switches, each with its source.

Set at creation with `python -m sandbox up --mode direct --arm-behaviour name=value,...`; kept in azure.json."""
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ArmBehaviour:
    # The service fills a failover group's sharedName, sourceMI, partnerMI, partnerMirroringURL and
    # partnerMirroringCert from the partner instance's ARM resource (k8sRaw.status): the 2026-03-01-preview
    # CreateOrUpdateFailoverGroup example answers a request of only partnerManagedInstanceId + role +
    # partnerSyncMode with all five filled, and `az sql instance-failover-group-arc create` never sends a
    # certificate (direct-mode.md §2.4, §4). False: the CR gets exactly the spec fields the request holds.
    fill_partner_certificate: bool = True
    # An ARM DELETE of one side's failover group also deletes the partner side's: the troubleshooting page
    # says direct mode deletes "on both sites", but the CLI's ArmClient deletes only the named instance's child
    # resource (direct-mode.md §4, §8 question 1). Default: the CLI's reading, one side only.
    delete_cascades: bool = False

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        unknown = set(values or {}) - known
        if unknown:
            raise ValueError(f"unknown ARM behaviour switch(es) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(sorted(known))}")
        return cls(**(values or {}))

    @classmethod
    def parse(cls, text):
        """`name=true,name=false` (the CLI's --arm-behaviour) into a validated dict."""
        values = {}
        for item in filter(None, (part.strip() for part in (text or "").split(","))):
            name, separator, value = item.partition("=")
            if not separator or value.lower() not in ("true", "false"):
                raise ValueError(f"--arm-behaviour wants name=true|false, got {item!r}")
            values[name.strip()] = value.lower() == "true"
        return asdict(cls.from_dict(values))
