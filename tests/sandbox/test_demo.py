"""`make demo` runs to the end: the demo module, in a runtime directory and on ports of its own."""
import os
import subprocess
import sys

from sandbox.layout import REPO_ROOT


def test_demo_runs_to_the_end_and_stops_what_it_started(tmp_path):
    runtime_dir = tmp_path / "demo-runtime"
    env = dict(os.environ, ARC_SANDBOX_DIR=str(runtime_dir), ARC_SANDBOX_API_PORT="0")
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for site in ("primary", "secondary"):
        assert f"==> Site {site}:" in output
    assert output.count("arc-dc   Ready   indirect") == 2  # each site's DataController, indirect mode
    assert "==> Stopping the sandbox" in output and output.rstrip().endswith("==> Demo finished")
    assert not runtime_dir.exists()  # it stopped and removed the sandbox it started
