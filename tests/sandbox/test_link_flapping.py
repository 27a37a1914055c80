"""A flapping mirroring link: cut and healed over and over by a process of the sandbox, stopped by `heal`, each
cut and heal in both sites' audit logs."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

import pytest

from .conftest import run_cli


def link_notes(site, mark):
    return [e["fault"]["link"] for e in site.audit_since(mark) if e["verb"] == "fault" and "link" in e["fault"]]


def status(sandbox):
    return json.loads(run_cli(sandbox.runtime_dir, "status", "--json").stdout)


def wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture
def healed(sandbox):
    yield
    run_cli(sandbox.runtime_dir, "heal")


def test_flapping_cuts_and_heals_until_heal_stops_it(sandbox, primary, secondary, healed):
    marks = {site.name: site.audit_mark() for site in (primary, secondary)}

    run_cli(sandbox.runtime_dir, "flap", "--period", "0.4", "--down", "0.2")

    assert status(sandbox)["link"]["flapping"] == {"period": 0.4, "down": 0.2, "for": None}
    for site in (primary, secondary):
        wait_for(lambda site=site: link_notes(site, marks[site.name]).count("cut") >= 3)
    run_cli(sandbox.runtime_dir, "heal")
    report = status(sandbox)
    assert report["link"] == {"partitioned": False, "flapping": None}
    for site in (primary, secondary):
        notes = link_notes(site, marks[site.name])
        # cut, healed, cut, healed, ... then the heal that stopped it
        assert notes[-1] == "healed"
        assert all(a != b for a, b in zip(notes[:-2], notes[1:-1]))
    settled = link_notes(primary, marks["primary"])
    time.sleep(0.5)  # longer than a period: a flapper still running would have cut again
    assert link_notes(primary, marks["primary"]) == settled
    assert not (sandbox.runtime_dir / "partitioned").exists()


def test_flapping_for_a_while_ends_with_the_link_healed(sandbox, primary, healed):
    mark = primary.audit_mark()

    run_cli(sandbox.runtime_dir, "flap", "--period", "0.3", "--down", "0.1", "--for", "1")

    wait_for(lambda: status(sandbox)["link"]["flapping"] is None)
    assert not (sandbox.runtime_dir / "partitioned").exists()
    notes = link_notes(primary, mark)
    assert notes.count("cut") >= 2 and notes[-1] == "healed"


def test_partition_replaces_flapping_with_a_steady_cut(sandbox, primary, healed):
    run_cli(sandbox.runtime_dir, "flap", "--period", "0.4", "--down", "0.2")

    run_cli(sandbox.runtime_dir, "partition")

    assert status(sandbox)["link"] == {"partitioned": True, "flapping": None}
    time.sleep(0.5)
    assert (sandbox.runtime_dir / "partitioned").exists()


def test_a_schedule_that_never_heals_is_refused(sandbox):
    refused = run_cli(sandbox.runtime_dir, "flap", "--period", "1", "--down", "1", check=False)

    assert refused.returncode == 1
    assert "--down must be more than 0 and less than --period" in refused.stderr
