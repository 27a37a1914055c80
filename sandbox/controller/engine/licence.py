"""Who may connect to an instance as a client, by its licence type.

The DR licence (spec.licenseType DisasterRecovery) is free because nobody uses the instance: "you cannot
connect to an instance whose licence type is DisasterRecovery" (dr-semantics.md §2.2, arc-api.md §5).
After a failover the documented step is to switch the new primary's licence to BasePrice or
LicenseIncluded; whether a promoted DR instance refuses clients until then is not documented, so the
controller's behaviour switch `dr_licence_refuses_clients` decides ("always" or "while-secondary").
"""
from .database import SECONDARY

DISASTER_RECOVERY = "DisasterRecovery"
RULES = ("always", "while-secondary")


def client_refusal(instance, licence, role, rule):
    """Why a client connection to `instance` is refused, or None when it is accepted."""
    if rule not in RULES:
        raise ValueError(f"dr_licence_refuses_clients is {rule!r}; known: {', '.join(RULES)}")
    if licence != DISASTER_RECOVERY or (rule == "while-secondary" and role != SECONDARY):
        return None
    when = " while it is a secondary" if rule == "while-secondary" else ""
    return (f"instance {instance} has licence type {DISASTER_RECOVERY}: an instance with this licence accepts no "
            f"client connections{when}; switch it to BasePrice or LicenseIncluded (spec.licenseType) to connect "
            "to it")
