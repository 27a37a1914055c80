"""A sandbox of the bench's own, started and stopped through the CLI as a user would, and what the bench reads
from it: each site's audit log (request counts and timestamps) and an inventory of N pairs."""
import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox.layout import REPO_ROOT, site_files

SITES = ("primary", "secondary")


def cli(runtime_dir, *args):
    result = subprocess.run([sys.executable, "-m", "sandbox", "--runtime-dir", str(runtime_dir), *args],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError("sandbox %s failed (%s): %s%s" % (" ".join(args), result.returncode, result.stdout,
                                                             result.stderr))
    return result.stdout


class AuditLog:
    """One site's audit log: every API request with its timestamp, verb, resource, user agent and outcome."""

    def __init__(self, path):
        self.path = Path(path)

    def entries(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def mark(self):
        """A position; `since(mark)` returns only the requests after it."""
        return len(self.entries())

    def since(self, mark):
        return self.entries()[mark:]


class BenchSandbox:
    def __init__(self, runtime_dir):
        self.runtime_dir = Path(runtime_dir)
        self.report = json.loads(cli(runtime_dir, "status", "--json"))
        self.sites = self.report["sites"]
        self.audit = {name: AuditLog(site_files(runtime_dir, name).audit_log) for name in SITES}

    def cli(self, *args):
        return cli(self.runtime_dir, *args)

    def inventory(self, pairs):
        """An inventory of `pairs` DR pairs on the two sites (the file `sandbox inventory` writes)."""
        path = self.runtime_dir / ("inventory-%d.yml" % pairs)
        self.cli("inventory", "--pairs", str(pairs), "--output", str(path))
        return path

    def marks(self):
        return {name: log.mark() for name, log in self.audit.items()}

    def requests_since(self, marks):
        """The requests of both sites since `marks`, each tagged with its site."""
        return [dict(entry, site=name) for name, log in self.audit.items() for entry in log.since(marks[name])]

    def pids(self):
        """The process ids of every sandbox component (API servers, controllers), for memory figures."""
        found = []
        for name in SITES:
            for pid_file in site_files(self.runtime_dir, name).dir.rglob("*.pid"):
                try:
                    found.append(int(pid_file.read_text().strip()))
                except ValueError:
                    continue
        return found


@contextlib.contextmanager
def running_sandbox(*up_args):
    """A fresh two-site sandbox with controllers (plus `up_args`, e.g. timings), always stopped afterwards."""
    runtime_dir = tempfile.mkdtemp(prefix="arc-bench-")
    cli(runtime_dir, "up", "--api-port", "0", *up_args)
    try:
        yield BenchSandbox(runtime_dir)
    finally:
        subprocess.run([sys.executable, "-m", "sandbox", "--runtime-dir", runtime_dir, "down"], cwd=REPO_ROOT,
                       capture_output=True, timeout=120, check=False)


def collection_requests(requests):
    """The requests our modules made (their user agent starts with arcdata.sqlmi/)."""
    return [r for r in requests if str(r.get("user_agent") or "").startswith("arcdata.sqlmi/")]


def writes(requests):
    """The requests that would change something (dry runs excluded)."""
    return [r for r in requests if r["verb"] in ("create", "update", "patch", "delete", "deletecollection")
            and not r.get("dry_run")]
