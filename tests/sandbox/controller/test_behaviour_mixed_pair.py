"""A pair whose two sites run different controllers: primary=observed-2022 (status state/results/role/lastUpdateTime
only, Succeeded once applied), secondary=cli-2025 (replicas and healthState, message, and a moment of
Failed/Unknown after each connection). Set up, switch, and fail back, reading each side the way its profile
allows, without losing a write."""
import pytest

from tests.sandbox.conftest import run_cli

from .conftest import Pair, own_sandbox, wait_for, wait_same_logs, write_many

FORCED = "force-primary-allow-data-loss"
SHAPES = {"primary": {"state", "results", "role", "lastUpdateTime"},
          "secondary": {"state", "results", "role", "lastUpdateTime", "healthState", "replicas"}}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "--behaviour", "primary=observed-2022,secondary=cli-2025") as handle:
        yield handle


def shaped(pair):
    """Both sides linked; each status holds exactly the fields of its site's profile."""
    for side in pair.dags:
        status = wait_for(lambda s=side: pair.linked(s), what=f"the {side} side linked")
        assert set(status) == SHAPES[side], (side, status)
        assert status["results"].startswith("Completed with Succeeded state for DistributedAgStateMachine")
    return pair.roles()


def switch(pair, old):
    """Planned failover from side `old`, asked on its DAG; the partner takes over and rewrites its own role."""
    new = pair.other(old)
    asked = pair.dags[old].set_role("secondary")
    pair.dags[old].wait_reported(asked, state="Succeeded", role="Secondary")
    wait_for(lambda: pair.dags[new].spec()["role"] == FORCED, what=f"the {new} side's role rewritten")
    return shaped(pair)


def test_a_mixed_pair_sets_up_switches_and_fails_back(mixed):
    report = mixed.report["sites"]
    assert (report["primary"]["behaviour"], report["secondary"]["behaviour"]) == ("observed-2022", "cli-2025")
    lines = run_cli(mixed.runtime_dir, "status").stdout.splitlines()
    for site in ("primary", "secondary"):
        line = next(line for line in lines if line.split()[0] == site)
        assert f"behaviour {report[site]['behaviour']} " in line, line
    pair = Pair(mixed).setup(dr_licence="BasePrice")
    assert shaped(pair) == {"primary": "Primary", "secondary": "Secondary"}
    before = write_many(pair.instances["primary"], 20, "before")
    wait_same_logs(pair)

    assert switch(pair, "primary") == {"primary": "Secondary", "secondary": "Primary"}
    during = write_many(pair.instances["secondary"], 20, "switched")
    assert during[0] == before[-1] + 1
    assert wait_same_logs(pair)[-1]["lsn"] == during[-1]

    assert switch(pair, "secondary") == {"primary": "Primary", "secondary": "Secondary"}
    after = write_many(pair.instances["primary"], 20, "failed-back")
    assert after[0] == during[-1] + 1
    records = wait_same_logs(pair)
    assert [r["lsn"] for r in records] == list(range(1, after[-1] + 1)), "one log, nothing lost"
