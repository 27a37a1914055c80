"""The `2022-01` profile (the seed document's era): the same engine behind the retired `Dag` kind,
whose fields live in `spec.input` (arc-api.md §4.4)."""
import pytest

from sandbox.sqlclient import SqlError
from sandbox.workload import Workload

from .conftest import Pair, missing_acknowledged, own_sandbox, wait_for, wait_partner_state, wait_same_logs
from .licence_support import open_to_clients

FORCED = "force-primary-allow-data-loss"


@pytest.fixture(scope="module")
def arc_2022(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "--profile", "2022-01") as handle:
        yield handle


@pytest.fixture(scope="module")
def dag_pair(arc_2022):
    return Pair(arc_2022, layout="dag").setup()


def test_a_pair_of_dag_resources_connects(dag_pair):
    assert dag_pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
    for side in dag_pair.dags:
        status = dag_pair.dags[side].status()
        assert status["state"] == "Succeeded" and status["healthState"] == "OK"
        assert dag_pair.dags[side].get()["kind"] == "Dag"
        assert status["observedGeneration"] == dag_pair.dags[side].get()["metadata"]["generation"]


def test_a_planned_failover_of_dag_resources_rewrites_spec_input_role_and_loses_nothing(dag_pair):
    workload = Workload(dag_pair.instances["primary"].status()["endpoints"]["primary"], rate=100).start()
    try:
        wait_for(lambda: len(workload.acknowledged) >= 50, what="50 acknowledged writes")
        dag_pair.dags["primary"].set_role("secondary")
        assert dag_pair.dags["primary"].wait_settled()["state"] == "Succeeded"
        wait_for(lambda: len(workload.refused) >= 5, what="the old primary to refuse writes")
    finally:
        workload.stop()
    assert not workload.errors
    # the partner's controller rewrote the role where this layout keeps it: spec.input.role
    wait_for(lambda: dag_pair.dags["secondary"].spec().get("role") == FORCED, what="spec.input.role rewritten")
    assert "role" not in dag_pair.dags["secondary"].get()["spec"]
    assert dag_pair.dags["secondary"].wait_settled(state="Succeeded")["role"] == "Primary"
    assert dag_pair.dags["primary"].status()["role"] == "Secondary"
    for side in dag_pair.dags:
        wait_partner_state(dag_pair.dags[side], "CONNECTED")
    records = wait_same_logs(dag_pair)
    lost = missing_acknowledged(records, workload.acknowledged)
    assert not lost, f"{len(lost)} acknowledged writes missing, e.g. {lost[:5]}"
    with dag_pair.instances["primary"].sql() as sql:
        with pytest.raises(SqlError, match="SECONDARY"):
            sql.write("after", 1)
    open_to_clients(dag_pair.instances["secondary"])  # the documented step after a failover: the DR licence goes
    with dag_pair.instances["secondary"].sql() as sql:
        lsn = sql.write("after", 1)
    assert wait_same_logs(dag_pair)[-1]["lsn"] == lsn
