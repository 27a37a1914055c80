"""Release profiles: which Arc CRDs a site serves, and the objects a fresh site starts with.

`current` is today's Arc (FailoverGroup); `2022-01` is the seed document's era (the Dag CRD
instead). Both have SqlManagedInstance and a DataController in indirect connection mode.
"""
from pathlib import Path

import yaml

CRD_DIR = Path(__file__).resolve().parent / "crds"
PROFILE_CRDS = {
    "current": ["sqlmanagedinstances", "failovergroups", "datacontrollers"],
    "2022-01": ["sqlmanagedinstances", "dags", "datacontrollers"],
}
DATA_CONTROLLER_NAME = "arc-dc"
DATA_CONTROLLER_VERSION = "v1.34.0_2024-10-08"


def crds(profile):
    if profile not in PROFILE_CRDS:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_CRDS)}")
    return [yaml.safe_load((CRD_DIR / f"{name}.yaml").read_text()) for name in PROFILE_CRDS[profile]]


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def data_controller(site):
    """The site's DataController, as `az arcdata dc create` in indirect mode leaves it."""
    return {
        "apiVersion": "arcdata.microsoft.com/v5",
        "kind": "DataController",
        "metadata": {"name": DATA_CONTROLLER_NAME, "namespace": site.namespace},
        "spec": {
            "credentials": {"dockerRegistry": "arc-private-registry", "serviceAccount": "sa-arc-controller"},
            "docker": {"imagePullPolicy": "Always", "imageTag": DATA_CONTROLLER_VERSION,
                       "registry": "mcr.microsoft.com", "repository": "arcdata"},
            "infrastructure": "onpremises",
            "security": {"allowDumps": True, "allowNodeMetricsCollection": True, "allowPodMetricsCollection": True},
            "services": [{"name": "controller", "port": 30080, "serviceType": "NodePort"}],
            "settings": {
                "azure": {"connectionMode": "indirect", "location": "westeurope",
                          "resourceGroup": f"arc-sandbox-{site.name}",
                          "subscription": "00000000-0000-0000-0000-000000000000"},
                "controller": {"displayName": f"arc-dc-{site.name}", "enableBilling": True},
            },
            "storage": {"data": {"accessMode": "ReadWriteOnce", "className": "default", "size": "15Gi"},
                        "logs": {"accessMode": "ReadWriteOnce", "className": "default", "size": "10Gi"}},
        },
    }


def data_controller_status():
    return {"state": "Ready", "observedGeneration": 1, "runningVersion": DATA_CONTROLLER_VERSION}
