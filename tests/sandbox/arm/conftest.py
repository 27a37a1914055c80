"""A direct-mode sandbox of the ARM tests' own: both sites with their Arc controllers (the controller tests'
fast timings) and the sandbox's Azure, started through the CLI as a user starts it."""
import uuid

import pytest

from tests.sandbox.conftest import SandboxHandle, run_cli
from tests.sandbox.controller.conftest import TIMINGS

from .arm_support import Azure


@pytest.fixture(scope="session")
def direct(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("arm-sandbox")
    run_cli(runtime_dir, "up", "--api-port", "0", "--mode", "direct", *TIMINGS)
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "down", check=False)


@pytest.fixture(scope="session")
def azure(direct):
    return Azure(direct.runtime_dir, direct.report["azure"])


@pytest.fixture(scope="session")
def operator(azure):
    return azure.client("operator")


@pytest.fixture(scope="session")
def reader(azure):
    return azure.client("reader")


@pytest.fixture
def name():
    return f"sql-{uuid.uuid4().hex[:8]}"
