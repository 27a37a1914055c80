"""The Microsoft.AzureArcData resource provider of the sandbox (with the few Microsoft.Resources and
Microsoft.ExtendedLocation reads around it): its state, its handlers (one mixin per resource type) and the
background work of its long-running operations."""
import asyncio

from . import routing
from .failover_groups import FailoverGroupHandlers
from .errors import bad_body
from .infrastructure import InfrastructureHandlers
from .instances import InstanceHandlers
from .operations import OperationHandlers
from .projection import ProjectionHandlers


class Provider(InfrastructureHandlers, InstanceHandlers, FailoverGroupHandlers, OperationHandlers,
               ProjectionHandlers):
    def __init__(self, config, store, behaviour):
        self.config, self.store, self.behaviour = config, store, behaviour
        store.abandon_in_flight()
        self.links = {}
        self._tasks = set()
        self.faults = self.audit = None  # set by the application: faults.ArmFaults, audit.AzureAudit
        self._holds = {}  # operation id -> the fault rule holding it InProgress

    def spawn(self, coroutine):
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def body(self, request):
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise bad_body() from None
        if not isinstance(body, dict):
            raise bad_body()
        return body

    def authorize(self, request, action, scope):
        routing.authorize(request, action, scope)

    async def drain(self):
        """Let running operations finish (a stopping ARM does not leave them half done if it can help it)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
