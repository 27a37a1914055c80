"""`make demo` runs to the end: the demo module, in a runtime directory and on ports of its own."""
import os
import re
import subprocess
import sys

from sandbox.layout import REPO_ROOT


def test_demo_sets_up_a_pair_fails_over_and_back_without_loss(tmp_path):
    runtime_dir = tmp_path / "demo-runtime"
    env = dict(os.environ, ARC_SANDBOX_DIR=str(runtime_dir), ARC_SANDBOX_API_PORT="0")
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert len(re.findall(r"arc-dc\s+Ready\s+indirect", output)) == 2  # each site's DataController
    assert output.count("condition met") >= 6  # instances Ready, DAGs Succeeded, roles flipped
    assert re.search(r"dagtest\s+force-primary-allow-data-loss\s+Primary\s+Succeeded\s+OK", output)
    assert re.search(r"dagtest\s+secondary\s+Secondary\s+Succeeded\s+OK", output)
    assert re.search(r"every one of the \d+ acknowledged writes is on sqlsecondary: yes", output)
    assert re.search(r"every one of the \d+ acknowledged writes is on sqlprimary: yes", output)
    assert "==> Stopping the sandbox" in output and output.rstrip().endswith("==> Demo finished")
    assert not runtime_dir.exists()  # it stopped and removed the sandbox it started
