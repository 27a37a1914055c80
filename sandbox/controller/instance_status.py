"""What a Ready instance publishes about its availability: status.highAvailability, and the Event of a
divergent log discarded on rejoin.

A real Ready instance was seen with healthState Error and replicas [] (emulator-audit #11): the behaviour
switch `instance_ha_detail` picks that, or the detailed form (healthState Healthy and the contained AG's
replicas). In the detailed form, a database demoted by force is not synchronized while it reverts (until the
primary has compared the two logs and it has discarded what the primary never had) and then catches up:
healthState Error, every replica's synchronizationState NOT_HEALTHY, and a message saying why, until it has
caught up (dr-semantics.md §1.7, emulator-audit #15).
"""
from . import instance_spec

DISCARD_REASON = "DivergentLogDiscarded"


def high_availability(name, spec, runtime, detailed):
    """The status.highAvailability block (a JSON merge patch: None removes a field)."""
    block = {"mirroringCertificate": runtime.certificate_pem}
    if not detailed:
        return {**block, "healthState": "Error", "replicas": [], "message": None}
    database = runtime.db
    health = database.synchronization_health
    return {**block, "healthState": "Healthy" if health == "HEALTHY" else "Error",
            "replicas": contained_ag_replicas(name, instance_spec.replicas_of(spec), spec.get("readableSecondaries", 0),
                                              health),
            "message": not_synchronized(database)}


def not_synchronized(database):
    """Why the databases are not synchronized (reverting, or catching up), or None."""
    if database.reverting:
        return reverting(database)
    return catching_up(database) if database.catch_up_to is not None else None


def reverting(database):
    return (f"databases not synchronized: {database.name} was demoted by force and is reverting: the transactions "
            "it holds that the primary never received are discarded once the primary has compared the two logs")


def contained_ag_replicas(name, replicas, readable, health="HEALTHY"):
    return [{"replicaName": f"{name}-{i}", "role": "PRIMARY" if i == 0 else "SECONDARY",
             "availabilityMode": "SYNCHRONOUS_COMMIT", "connectedState": "CONNECTED",
             "synchronizationState": health, "healthState": "OK" if health == "HEALTHY" else "Error",
             "secondaryRoleAllowConnections": "ALL" if i == 0 or i <= readable else "NO"}
            for i in range(replicas)]


def catching_up(database):
    last = database.discards[-1]
    return (f"databases not synchronized: {last['count']} divergent transactions (LSN {last['first_lsn']} to "
            f"{last['last_lsn']}) were discarded when {database.name} rejoined as secondary; catching up with the "
            f"primary up to LSN {database.catch_up_to}")


def differs(current, wanted):
    """True when applying the merge patch `wanted` would change `current`."""
    return any(current.get(key) != value for key, value in wanted.items())


def discard_message(instance, discard):
    return (f"instance {instance} rejoined as secondary and discarded {discard['count']} divergent transactions "
            f"(LSN {discard['first_lsn']} to {discard['last_lsn']}) that the new primary never received; its "
            f"databases are not synchronized until it has caught up with the primary (LSN {discard['catch_up_to']})")
