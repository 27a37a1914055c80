"""The Kubernetes side flowing back into ARM, driven by the sites' informers (watch events, no polling):

- an instance CR's metadata/spec/status become its ARM resource's k8sRaw; an instance CR made through the
  Kubernetes API gets an ARM resource in its site's resource group (the resource sync rule), and one deleted
  there loses it (with its failover groups);
- a FailoverGroup CR that ARM wrote (known by its generated name) gives its spec/status/metadata to its ARM
  resource; one made through the Kubernetes API stays unprojected (resource sync does not project failover
  groups, direct-mode.md §5)."""
from . import failover_group_mapping, instance_mapping
from .resource_ids import INSTANCE_TYPE, instance_id
from .store import IN_PROGRESS_STATES


def newest(first, second):
    """Of two versions of one object, the later (by resourceVersion); either may be None."""
    def version(obj):
        try:
            return int(obj["metadata"]["resourceVersion"])
        except (TypeError, KeyError, ValueError):
            return -1
    return first if version(first) >= version(second) else second


class ProjectionHandlers:
    """Mixed into the Provider."""

    def on_change(self, site, kind, name):
        """An informer saw the object `name` of `kind` on `site` change (or go)."""
        if kind == "instance":
            self._instance_changed(site, name, self.links[site].current(kind, name))
        elif kind == "failoverGroup":
            self._failover_group_changed(site, name, self.links[site].current(kind, name))

    def _instance_changed(self, site, name, cr):
        record = self.store.find("instance", site, name)
        if cr is None:
            if record is not None and record["resource"]["properties"].get("provisioningState") not in IN_PROGRESS_STATES:
                for child in self.store.children(record["resource"]["id"]):
                    self.store.remove(child["resource"]["id"])
                self.store.remove(record["resource"]["id"])
            return
        if record is None:
            record = self._synced_instance(site, name)
        instance_mapping.project(record["resource"], cr)
        self.store.put(record)

    def _synced_instance(self, site, name):
        """The ARM resource the resource sync rule gives an instance created through the Kubernetes API."""
        binding = self.config.binding(site)
        resource_id = instance_id(self.config.subscription_id, binding.resource_group, name)
        return {"resource": {"id": resource_id, "name": name, "type": INSTANCE_TYPE, "location": self.config.location,
                             "extendedLocation": {"type": "CustomLocation",
                                                  "name": self.config.custom_location_id(site)},
                             "sku": {"name": "vCore"}, "tags": {},
                             "properties": {"provisioningState": "Succeeded"}},
                "site": site, "kind": "instance", "cr_name": name}

    def _failover_group_changed(self, site, name, cr):
        record = self.store.find("failoverGroup", site, name)
        if record is None:
            return  # not written by ARM: stays unprojected
        if cr is None:
            if record["resource"]["properties"].get("provisioningState") not in IN_PROGRESS_STATES:
                self.store.remove(record["resource"]["id"])
            return
        failover_group_mapping.project(record["resource"], cr)
        self.store.put(record)

    def project_written(self, resource_id, written):
        """After ARM's own write: project the newer of what it wrote and what the informer holds (a write that
        changed nothing brings no watch event)."""
        record = self.store.get(resource_id)
        if record is None:
            return
        cr = newest(written, self.links[record["site"]].current(record["kind"], record["cr_name"]))
        mapping = instance_mapping if record["kind"] == "instance" else failover_group_mapping
        mapping.project(record["resource"], cr)
        self.store.put(record)
