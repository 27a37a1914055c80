"""Long-running operations as ARM answers them: a write is accepted with an Azure-AsyncOperation header
naming an operation-status URL, which answers InProgress until the projection onto the site is done,
then Succeeded, or Failed with the reason."""
import logging

from aiohttp import web

from .errors import ArmError
from .resource_ids import PROVIDER
from .sitelink import WriteRejected
from .store import IN_PROGRESS_STATES

LOG = logging.getLogger(__name__)


def operation_url(config, location, operation_id, api_version):
    return (f"{config.base_url}{config.subscription_scope}/providers/{PROVIDER}/locations/{location}/"
            f"operationStatuses/{operation_id}?api-version={api_version}")


def refuse_if_busy(record):
    """409 while an earlier write of the resource is still in flight (`az` refuses the same client-side)."""
    state = (record or {}).get("resource", {}).get("properties", {}).get("provisioningState")
    if state in IN_PROGRESS_STATES:
        raise ArmError(409, "AnotherOperationInProgress",
                       f"The resource '{record['resource']['id']}' is in provisioning state '{state}': another "
                       "operation on it is in progress. Retry when it has finished.")


class OperationHandlers:
    """Mixed into the Provider: starting, running and reporting async operations."""

    def accepted(self, request, record, status, location):
        """Answer a write that runs on: the resource as it stands (none for a DELETE) and the operation's URL."""
        operation_id = self.store.start_operation(record["resource"]["id"])
        hold = self.faults.hold(request.method, request.get("resource_type", "")) if self.faults else None
        if hold is not None:
            self._holds[operation_id] = hold
            request["fault"] = hold.spec
        url = operation_url(self.config, location, operation_id, request.query["api-version"])
        headers = {"Azure-AsyncOperation": url, "Retry-After": str(self.config.lro_retry_after_seconds)}
        if status == 202:
            headers["Location"] = url
            return web.Response(status=202, headers=headers), operation_id
        return web.json_response(record["resource"], status=status, headers=headers), operation_id

    def begin_delete(self, request, record, location):
        """A DELETE of a resource that exists: refused while another write is in flight, else marked Deleting and
        answered 202 with its operation; returns (response, operation id)."""
        refuse_if_busy(record)
        record["resource"]["properties"]["provisioningState"] = "Deleting"
        self.store.put(record)
        return self.accepted(request, record, 202, location)

    def run_operation(self, operation_id, record, work):
        """Run `work()` (the projection) in the background; its outcome ends the operation and sets the
        resource's provisioningState (a removed resource just ends the operation)."""
        async def run():
            error = None
            try:
                await self._held(operation_id)
                await work()
            except WriteRejected as exc:
                error = {"code": "ProjectionFailed", "message": str(exc)}
            except Exception as exc:  # pylint: disable=broad-except  # the operation must end, whatever happened
                LOG.exception("operation %s failed", operation_id)
                error = {"code": "InternalServerError", "message": f"{type(exc).__name__}: {exc}"}
            current = self.store.get(record["resource"]["id"])
            if current is not None:
                current["resource"]["properties"]["provisioningState"] = "Failed" if error else "Succeeded"
                self.store.put(current)
            self.store.finish_operation(operation_id, error)
        self.spawn(run())

    async def _held(self, operation_id):
        """Wait while a fault rule holds the operation InProgress, then note its release."""
        rule = self._holds.get(operation_id)
        if rule is None:
            return
        try:
            await self.faults.wait_out(rule)
        finally:
            self._holds.pop(operation_id, None)
        self.audit.note({"lro": "released", "operation": operation_id})

    async def get_operation(self, request, params):
        operation = self.store.operations.get(params["operation"])
        if operation is None:
            raise ArmError(404, "ResourceNotFound", f"The operation '{params['operation']}' was not found.")
        body = {"id": request.path, **{k: v for k, v in operation.items() if k != "resourceId"}}
        headers = {"Retry-After": str(self.config.lro_retry_after_seconds)} if operation["status"] == "InProgress" else {}
        return web.json_response(body, headers=headers)
