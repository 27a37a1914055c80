"""How an ARM failover group becomes its FailoverGroup CR and back, as the Arc chart's failoverGroups/v2
templates map them (direct-mode.md §5): the CR has a generated UUID name (NamingStrategy UniqueUUID) and
the 7 ARM spec fields that are present; back in ARM, properties.spec/status/metadata are the CR's.

What the service fills from the partner instance (the behaviour switch fill_partner_certificate) is here too."""
SPEC_FIELDS = ("sharedName", "sourceMI", "partnerMI", "partnerMirroringURL", "partnerMirroringCert",
               "partnerSyncMode", "role")
ROLES = ("primary", "secondary", "force-primary-allow-data-loss", "force-secondary")
SYNC_MODES = ("async", "sync")


class PartnerNotReady(Exception):
    """The partner instance cannot supply what the failover group needs (its certificate)."""


def requested_spec(properties):
    spec = properties.get("spec") or {}
    return {key: spec[key] for key in SPEC_FIELDS if spec.get(key) not in (None, "")}


def filled_spec(spec, arm_name, source_name, partner_name, partner_resource):
    """The spec with what the service fills: sourceMI and partnerMI (the resources named by the URL and by
    partnerManagedInstanceId), sharedName (the ARM name) and the partner's mirroring URL when the request
    has none, and the partner's current mirroring certificate."""
    status = ((partner_resource or {}).get("properties") or {}).get("k8sRaw", {}).get("status") or {}
    certificate = (status.get("highAvailability") or {}).get("mirroringCertificate")
    mirroring = (status.get("endpoints") or {}).get("mirroring")
    if not certificate or not mirroring:
        raise PartnerNotReady(f"the partner instance {partner_name} reports no mirroring certificate and endpoint "
                              "yet (k8sRaw.status.highAvailability.mirroringCertificate, k8sRaw.status.endpoints."
                              "mirroring): it must be Ready before a failover group can name it")
    filled = {**spec, "sourceMI": source_name, "partnerMI": partner_name, "partnerMirroringCert": certificate}
    filled.setdefault("sharedName", arm_name)
    filled.setdefault("partnerMirroringURL", f"tcp://{mirroring}")
    return filled


def project(resource, cr):
    resource["properties"].update(spec=cr.get("spec") or {}, status=cr.get("status") or {},
                                  metadata=cr.get("metadata") or {})
    return resource
