"""ARM's own records of the resources it holds (instances, failover groups) and of its async operations,
kept in resources.json (replaced atomically) so a restarted ARM still knows them. Keys are lower-cased
resource ids: ARM ids are case-insensitive.

A record is {"resource": <the ARM document>, "site": <site name>, "kind": "instance"|"failoverGroup",
"cr_name": <the CR's name on the site>}; only "resource" is ever shown to clients."""
import datetime
import uuid

from ..controller import jsonfile

IN_PROGRESS_STATES = ("Accepted", "Deleting")


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class ArmStore:
    def __init__(self, path):
        self._path = path
        data = jsonfile.load(path, {"records": {}, "operations": {}})
        self.records, self.operations = data["records"], data["operations"]

    def abandon_in_flight(self):
        """At start: operations of a previous ARM process that ended mid-way Failed, so that their resources
        do not stay Accepted (or Deleting) and refuse every later write with 409."""
        for operation in self.operations.values():
            if operation["status"] == "InProgress":
                operation.update(status="Failed", endTime=now(), error={
                    "code": "OperationAbandoned", "message": "ARM restarted while the operation ran; retry it."})
        for record in self.records.values():
            properties = record["resource"]["properties"]
            if properties.get("provisioningState") in IN_PROGRESS_STATES:
                properties["provisioningState"] = "Failed"
        self.save()

    def save(self):
        jsonfile.save(self._path, {"records": self.records, "operations": self.operations})

    def get(self, resource_id):
        return self.records.get(resource_id.lower())

    def put(self, record):
        self.records[record["resource"]["id"].lower()] = record
        self.save()

    def remove(self, resource_id):
        self.records.pop(resource_id.lower(), None)
        self.save()

    def find(self, kind, site, cr_name):
        """The record projected from the CR `cr_name` on `site`, or None (CR names are case-sensitive)."""
        return next((r for r in self.records.values()
                     if r["kind"] == kind and r["site"] == site and r["cr_name"] == cr_name), None)

    def children(self, parent_id):
        prefix = parent_id.lower() + "/failovergroups/"
        return [r for key, r in self.records.items() if key.startswith(prefix)]

    def under(self, scope, kind):
        prefix = scope.lower().rstrip("/") + "/"
        return [r for key, r in sorted(self.records.items()) if r["kind"] == kind and key.startswith(prefix)]

    # -- async operations ---------------------------------------------------------------------------
    def start_operation(self, resource_id):
        operation_id = str(uuid.uuid4())
        self.operations[operation_id] = {"name": operation_id, "status": "InProgress", "startTime": now(),
                                         "resourceId": resource_id}
        self.save()
        return operation_id

    def finish_operation(self, operation_id, error=None):
        operation = self.operations[operation_id]
        operation.update(status="Failed" if error else "Succeeded", endTime=now())
        if error:
            operation["error"] = error
        self.save()
