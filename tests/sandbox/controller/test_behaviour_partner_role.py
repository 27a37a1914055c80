"""partner_rewrites_role: after a planned switch the partner promotes itself and, in every profile, rewrites its
own spec.role to force-primary-allow-data-loss (test_planned_failover.py, test_behaviour_mixed_pair.py show it
on running sandboxes). No profile sets the switch False, so its other value is shown here on the reconciler
itself, with a stand-in API gateway that records the writes the controller makes (emulator-audit #5)."""
import asyncio
import dataclasses

import pytest

from sandbox.controller import dag_spec
from sandbox.controller.behaviour import PROFILES
from sandbox.controller.dags import DagReconciler
from sandbox.controller.engine.database import PRIMARY, SECONDARY
from sandbox.controller.settings import Timings


class Recorder:
    """The API gateway as the reconciler uses it: every write recorded, none sent."""

    def __init__(self):
        self.spec_patches, self.events = [], []
        self.namespace = "arc"

    async def patch_spec(self, kind, name, spec):
        self.spec_patches.append((name, spec))

    async def event(self, involved, reason, message, event_type="Normal"):
        self.events.append(reason)


class Engine:
    """An instance's engine, as far as a promotion on the partner's request touches it."""

    def __init__(self, name):
        self.name, self.dag_name = name, None
        self.db = type("Db", (), {"role": SECONDARY, "tip": 42})()
        self.link = self

    def force_promote(self):
        self.db.role = PRIMARY


def failover_group(name):
    return {"apiVersion": "sql.arcdata.microsoft.com/v2", "kind": "FailoverGroup",
            "metadata": {"name": name, "uid": "u-1", "generation": 1},
            "spec": {"sharedName": "dag1", "sourceMI": "sqlb", "partnerMI": "sqla", "role": "secondary",
                     "partnerMirroringURL": "tcp://127.10.0.1:5022", "partnerMirroringCert": ""}}


@pytest.mark.parametrize("rewrites", [True, False], ids=["rewrites", "keeps its role"])
def test_the_partner_promoted_on_request_rewrites_its_role_only_if_the_profile_does(tmp_path, rewrites):
    gateway, engine = Recorder(), Engine("sqlb")
    instances = type("Instances", (), {"runtimes": {"sqlb": engine}})()
    behaviour = dataclasses.replace(PROFILES["rich"], partner_rewrites_role=rewrites)
    reconciler = DagReconciler(gateway, kind=None, parse=dag_spec.from_failover_group, instances=instances,
                               state_dir=tmp_path, timings=Timings(), behaviour=behaviour)
    reconciler.informer = type("Informer", (), {"objects": {"fog-b": failover_group("fog-b")}})()

    asyncio.run(reconciler._promote_requested("fog-b", {"lsn": 42}))  # pylint: disable=protected-access

    assert engine.db.role == PRIMARY, "the partner promotes itself either way"
    assert reconciler.operations["fog-b"].kind == "promote"
    expected = [("fog-b", {"role": "force-primary-allow-data-loss"})] if rewrites else []
    assert gateway.spec_patches == expected
    assert gateway.events == ["PromotedByPartner"]
