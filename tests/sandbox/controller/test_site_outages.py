"""Outages of the DR side during async replication (its site killed and started, a partition and its
heal) end with the secondary caught up and nothing acknowledged lost; and a DR site that dies in the
middle of a planned failover, after being asked to take over, leaves the old primary able to take
its role back (reference/dr-semantics.md §1.5, §1.6 step 4, §5.2-3)."""
import contextlib
import os
import signal

import pytest

from sandbox import supervisor
from sandbox.sqlclient import SqlError
from sandbox.workload import Workload

from .conftest import (Pair, missing_acknowledged, own_sandbox, partitioned, site_down, wait_for,
                       wait_partner_state, wait_same_logs, write_many)

FAILOVER_TIMEOUT = 8.0  # conftest TIMINGS


@pytest.fixture(scope="module")
def arc_alone(tmp_path_factory):
    """A sandbox of this module's own: its tests kill sites."""
    with own_sandbox(tmp_path_factory) as handle:
        yield handle


def outage_under_workload(pair, outage):
    """Run a workload on the primary through `outage` (a context manager); check the DAG statuses
    during and after, and that the secondary caught up without losing an acknowledged write."""
    workload = Workload(pair.instances["primary"].status()["endpoints"]["primary"], rate=100).start()
    try:
        wait_for(lambda: len(workload.acknowledged) >= 50, what="50 acknowledged writes")
        with outage:
            status = wait_partner_state(pair.dags["primary"], "DISCONNECTED")
            assert status["role"] == "Primary" and status["healthState"] != "OK" and status["results"]
            # async: the primary carries on alone
            during = len(workload.acknowledged)
            wait_for(lambda: len(workload.acknowledged) >= during + 50, what="writes acknowledged during the outage")
        for side in pair.dags:
            status = wait_partner_state(pair.dags[side], "CONNECTED")
            assert status["state"] == "Succeeded"
        wait_for(lambda: pair.dags["primary"].status()["healthState"] == "OK", what="the primary healthy again")
    finally:
        workload.stop()
    assert not workload.refused and not workload.errors, (workload.refused[:3], workload.errors[:3])
    records = wait_same_logs(pair)
    lost = missing_acknowledged(records, workload.acknowledged)
    assert not lost, f"{len(lost)} acknowledged writes missing, e.g. {lost[:5]}"
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
    return records


def test_the_secondary_site_killed_and_started_during_async_replication_catches_up(arc_alone):
    pair = Pair(arc_alone).setup()
    outage_under_workload(pair, site_down(arc_alone, "secondary"))


def test_a_partition_and_its_heal_during_async_replication_lose_nothing(arc_alone):
    pair = Pair(arc_alone).setup()
    outage_under_workload(pair, partitioned(arc_alone))


@contextlib.contextmanager
def frozen_controller(sandbox, site):
    """The site's controller stopped dead (SIGSTOP: its connections stay open, it answers nothing) for
    the block; afterwards the site is killed and started, as after a crash."""
    pid = supervisor.running_pid(sandbox.site(site).files, "controller")
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        sandbox.kill(site)
        sandbox.start(site)


def switch(pair, old):
    """A planned failover from side `old`, settled on both sides."""
    pair.dags[old].set_role("secondary")
    pair.dags[old].wait_settled(state="Succeeded")
    new = pair.dags[pair.other(old)]
    wait_for(lambda: new.spec()["role"] == "force-primary-allow-data-loss", what="the partner's role rewritten")
    new.wait_settled(state="Succeeded")


def test_a_dr_site_dying_mid_handover_lets_the_old_primary_take_its_role_back(arc_alone):
    pair = Pair(arc_alone).setup()
    lsns = write_many(pair.instances["primary"], 20, "before")
    wait_same_logs(pair)
    # a failover and a failback: the primary's current term has no record yet, so the partner's log
    # cannot show it
    switch(pair, "primary")
    switch(pair, "secondary")
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    with frozen_controller(arc_alone, "secondary"):
        # everything is hardened, so the primary demotes itself and asks the partner to take over, which
        # never hears it
        pair.dags["primary"].set_role("secondary")
        status = pair.dags["primary"].wait_settled(timeout=FAILOVER_TIMEOUT + 10)
        assert status["state"] == "Failed" and "did not confirm" in status["results"], status
        assert status["role"] == "Secondary"  # handed over: taking the role back now could make two primaries
        with pytest.raises(SqlError, match="SECONDARY"):
            write_many(pair.instances["primary"], 1, "nobody-takes-writes")
    # the partner returns still SECONDARY in the same term: it never took over, the old primary resumes
    wait_for(lambda: pair.dags["primary"].status().get("role") == "Primary", what="the old primary to resume")
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
    assert pair.dags["secondary"].status()["role"] == "Secondary"
    after = write_many(pair.instances["primary"], 5, "after")
    assert after[0] == lsns[-1] + 1
    assert wait_same_logs(pair)[-1]["lsn"] == after[-1]
