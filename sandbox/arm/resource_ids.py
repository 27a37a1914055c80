"""ARM resource ids of the sandbox's resources; parsing is case-insensitive, as ARM's is."""
import re

PROVIDER = "Microsoft.AzureArcData"
INSTANCE_TYPE = f"{PROVIDER}/sqlManagedInstances"
FAILOVER_GROUP_TYPE = f"{INSTANCE_TYPE}/failoverGroups"
DATA_CONTROLLER_TYPE = f"{PROVIDER}/dataControllers"
CUSTOM_LOCATION_TYPE = "Microsoft.ExtendedLocation/customLocations"
INSTANCE_ID = re.compile(r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)/providers/"
                         r"Microsoft\.AzureArcData/sqlManagedInstances/(?P<name>[^/]+)$", re.IGNORECASE)


def resource_group_id(subscription, resource_group):
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}"


def instance_id(subscription, resource_group, name):
    return f"{resource_group_id(subscription, resource_group)}/providers/{INSTANCE_TYPE}/{name}"


def failover_group_id(parent_id, name):
    return f"{parent_id}/failoverGroups/{name}"


def parse_instance_id(resource_id):
    """{subscription, resource_group, name} of a sqlManagedInstances id, or None."""
    match = INSTANCE_ID.match(resource_id or "")
    return match.groupdict() if match else None
