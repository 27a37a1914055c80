# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What arc_sqlmi_info returns for one instance: its state, endpoints, HA health and certificate, as a playbook
checks them (arc_site_info returns the same for a site's instance)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import certificates, conditions, sqlmi_spec


def summarize(obj):
    """The summary of a SqlManagedInstance object."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    endpoints = status.get("endpoints") or {}
    high_availability = status.get("highAvailability") or {}
    generation = obj["metadata"].get("generation")
    return {
        "name": obj["metadata"]["name"],
        "state": status.get("state"),
        "message": status.get("message"),
        "ready": conditions.ready_for_its_generation(obj),
        "tier": sqlmi_spec.canonical_tier(spec.get("tier", "GeneralPurpose")),
        "license_type": spec.get("licenseType", "LicenseIncluded"),
        "replicas": spec.get("replicas"),
        "ready_replicas": ((status.get("roles") or {}).get("sql") or {}).get("readyReplicas"),
        "endpoints": endpoints,
        "mirroring_url": "tcp://%s" % endpoints["mirroring"] if endpoints.get("mirroring") else None,
        "ha_health": high_availability.get("healthState"),
        "ha_replicas": high_availability.get("replicas") or [],
        "certificate": certificates.facts(high_availability.get("mirroringCertificate")),
        "spec": spec,
        "generation": generation,
        "observed_generation": status.get("observedGeneration"),
    }
