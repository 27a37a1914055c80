"""`make demo` runs the whole DR drill to the end: the demo module, in a runtime directory and on
ports of its own, with the collection from the build tree (the test suite's `make` targets build it)."""
import os
import re
import subprocess
import sys

import pytest

from sandbox.layout import REPO_ROOT


def _summary_rows(output):
    table = output.split("==> Summary", 1)[1].split("==> ", 1)[0]
    rows = {}
    for line in table.splitlines()[3:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 4:
            rows[cells[0]] = cells
    return rows


# the default profile, a pair whose sites behave as the 2022 dumps and the 2025 model show (docs/emulator.md), and
# the default profile in direct mode (the playbooks through the sandbox's Azure Resource Manager)
# (make test runs the default; the other two are in make test-extended)
@pytest.mark.parametrize("mode, behaviour", [
    (None, None),
    pytest.param(None, "primary=observed-2022,secondary=cli-2025", marks=pytest.mark.extended),
    pytest.param("direct", None, marks=pytest.mark.extended)], ids=["default", "mixed", "direct"])
def test_the_demo_runs_the_whole_drill_and_loses_nothing_in_planned_failovers(tmp_path, mode, behaviour):
    runtime_dir = tmp_path / "demo-runtime"
    env = dict(os.environ, ARC_SANDBOX_DIR=str(runtime_dir), ARC_SANDBOX_API_PORT="0")
    subprocess.run([sys.executable, "devtools/sync_build_tree.py", ".", "build/ansible_collections/arcdata/sqlmi"],
                   cwd=REPO_ROOT, check=True)
    arguments = (["--mode", mode] if mode else []) + (["--behaviour", behaviour] if behaviour else [])
    result = subprocess.run([sys.executable, "-m", "sandbox.demo", *arguments],
                            cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    rows = _summary_rows(output)
    # the reader sees which mode the drill ran in, above the table
    assert re.search(r"==> Summary \((%s) mode" % (mode or "indirect"), output), output[-3000:]
    assert rows["failover_planned under load"][3] == "0", rows
    assert rows["failback"][3] == "0", rows
    assert rows["failover_forced, primary site killed"][3].isdigit(), rows
    assert rows["dr_status after the old site returns"][1] == "two primaries detected", rows
    assert rows["dr_status"][1] == "exactly one primary, connected", rows
    assert "**Primary:** secondary" in output  # the final report: the DR site kept the role
    assert result.stdout.rstrip().endswith("==> Demo finished")
    assert not runtime_dir.exists()  # it stopped and removed the sandbox it started
