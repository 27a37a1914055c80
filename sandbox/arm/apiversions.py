"""Which api-versions ARM serves for each resource type; any other gets 400 InvalidApiVersionParameter.

sqlManagedInstances and dataControllers: the azurearcdata versions of the spec repository that clients send
(direct-mode.md §2.3); failoverGroups: the first preview that has them (2023-01-15-preview, what `az` sends),
the first stable (2024-01-01) and the current stable (2026-01-01), which share one schema."""
import re

ARC_DATA = ("2021-11-01", "2022-03-01-preview", "2022-06-15-preview", "2023-01-15-preview", "2023-03-15-preview",
            "2024-01-01", "2024-05-01-preview", "2025-03-01-preview", "2025-06-01-preview", "2026-01-01",
            "2026-03-01-preview")
FAILOVER_GROUPS = ("2023-01-15-preview", "2024-01-01", "2026-01-01")
CUSTOM_LOCATIONS = ("2021-08-15", "2021-08-31-preview", "2024-08-15")
SERVED = {
    "sqlManagedInstances": ARC_DATA,
    "dataControllers": ARC_DATA,
    "failoverGroups": FAILOVER_GROUPS,
    "operationStatuses": ARC_DATA,
    "customLocations": CUSTOM_LOCATIONS,
    "permissions": ("2015-07-01", "2018-01-01-preview", "2022-04-01"),
    # Microsoft.Resources serves many versions over a decade: any well-formed one
    "resourceGroups": None,
    "subscriptions": None,
}
WELL_FORMED = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


def problem(resource_type, version):
    """None if `version` is served for `resource_type`, else (code, message) of ARM's 400."""
    if not version:
        return "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."
    served = SERVED[resource_type]
    if (served is None and WELL_FORMED.match(version)) or (served and version in served):
        return None
    supported = ", ".join(served or ("YYYY-MM-DD",))
    return ("InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{supported}'.")
