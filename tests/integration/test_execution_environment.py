"""The execution environment (issue 8, item 1): `ansible-builder create` writes the build context of
execution-environment.yml without building an image, from the collection tarball `ansible-galaxy collection build`
makes. The test checks that context, then does what the image build's galaxy and builder stages do with it: installs
the collection from the tarball offline with the context's requirements.yml, and runs the context's own
introspect.py on the installed copy, which must find the collection's Python requirements through its
meta/execution-environment.yml."""
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from sandbox.layout import REPO_ROOT

BIN = Path(sys.executable).parent
BUILD_TREE = REPO_ROOT / "build" / "ansible_collections" / "arcdata" / "sqlmi"  # `make integration` syncs it
# (the Azure libraries: direct connection mode)
OUR_REQUIREMENTS = {"kubernetes", "cryptography", "pyyaml", "azure-identity", "azure-core", "azure-mgmt-core"}


def _run(command, cwd, env=None):
    process = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                             check=False)
    assert process.returncode == 0, f"{command} failed:\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}"
    return process


def _names(lines):
    return {Requirement(line.split("#")[0].strip()).name.lower() for line in lines
            if line.strip() and not line.lstrip().startswith("#")}


@pytest.fixture(scope="module")
def ee_context(tmp_path_factory):
    """(the definition, the build context ansible-builder wrote, the tarball) for execution-environment.yml, laid
    out as its comments say: the tarball built into build/ee/ next to the definition."""
    work = tmp_path_factory.mktemp("ee")
    definition = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
    shutil.copy(REPO_ROOT / "execution-environment.yml", work / "execution-environment.yml")
    _run([BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", work / "build" / "ee", BUILD_TREE],
         cwd=work)
    tarball = next((work / "build" / "ee").glob("arcdata-sqlmi-*.tar.gz"))
    _run([BIN / "ansible-builder", "create", "--file", "execution-environment.yml", "--context", work / "context",
          "--output-filename", "Containerfile"], cwd=work)
    return definition, work / "context", tarball


def test_the_definition_is_ansible_builder_v3_with_ansible_core_that_runs_the_collection(ee_context):
    definition, _context, _tarball = ee_context
    assert definition["version"] == 3
    dependencies = definition["dependencies"]
    assert dependencies["python_interpreter"]["python_path"].endswith("python3.11")  # ansible-core 2.19 needs 3.11+
    core = Requirement(dependencies["ansible_core"]["package_pip"])
    requires = yaml.safe_load((BUILD_TREE / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert core.name == "ansible-core" and core.specifier.contains("2.19.0"), core
    assert requires.startswith(">=") and core.specifier.contains(requires[2:]), (core, requires)
    assert Requirement(dependencies["ansible_runner"]["package_pip"]).name == "ansible-runner"  # AWX runs jobs with it


def test_the_context_holds_the_collection_tarball_of_this_version(ee_context):
    _definition, context, tarball = ee_context
    version = yaml.safe_load((BUILD_TREE / "galaxy.yml").read_text())["version"]
    assert tarball.name == f"arcdata-sqlmi-{version}.tar.gz"
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    entries = galaxy["collections"]
    assert [e["type"] for e in entries] == ["file"]
    assert entries[0]["name"] == f"collections/{tarball.name}", \
        f"execution-environment.yml installs {entries[0]['name']}, but galaxy.yml's version {version} builds " \
        f"{tarball.name}: change the name there"
    # the galaxy stage runs in /build, where the context's _build/ is copied
    assert (context / "_build" / entries[0]["name"]).read_bytes() == tarball.read_bytes(), \
        "the galaxy requirements name a tarball the context does not hold, or of another version"
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build /build" in containerfile
    assert re.search(r'ARG ANSIBLE_GALAXY_CLI_COLLECTION_OPTS="[^"]*--offline', containerfile), \
        "the galaxy stage would ask a Galaxy server"
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect" in containerfile  # the builder stage reads the collection's requirements

    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for needed in ("meta/execution-environment.yml", "requirements.txt", "bindep.txt", "playbooks/dr_setup.yml",
                   "roles/dr_failover/tasks/main.yml", "plugins/modules/arc_dag.py", "extensions/awx/configure_awx.yml"):
        assert needed in names, f"{needed} is not in the collection tarball"
    for unwanted in ("sandbox", "tests", "bench", "build", ".venv", ".sandbox", "devtools", "dr-reports"):
        assert not [n for n in names if n == unwanted or n.startswith(unwanted + "/")], f"{unwanted}/ is in the tarball"


def test_the_image_build_installs_the_collection_offline_and_finds_its_python_requirements(ee_context, tmp_path):
    _definition, context, _tarball = ee_context
    collections = tmp_path / "usr-share-ansible-collections"
    # the galaxy stage: ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml
    # in an image where no collection is installed yet: none of ours on the collections path, nor on the Python path
    # (Ansible finds collections in sys.path too, as the `ansible` package installs them)
    environment = dict((key, value) for key, value in os.environ.items()
                       if not key.startswith("ANSIBLE_COLLECTIONS") and key != "PYTHONPATH")
    process = _run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-r", "requirements.yml",
                    "--collections-path", collections], cwd=context / "_build",
                   env=dict(environment, ANSIBLE_NOCOLOR="1", ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1"))
    assert "arcdata.sqlmi:" in process.stdout and "was installed successfully" in process.stdout, process.stdout
    installed = collections / "ansible_collections" / "arcdata" / "sqlmi"
    meta = yaml.safe_load((installed / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    declared = (installed / meta["dependencies"]["python"]).read_text().splitlines()
    assert _names(declared) == OUR_REQUIREMENTS
    assert declared == (REPO_ROOT / "requirements.txt").read_text().splitlines()
    assert not [line for line in (installed / "bindep.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")], "the collection needs no system packages"

    # the builder stage: the context's own introspect.py, as the Containerfile runs it
    out = tmp_path / "introspected"
    process = _run([sys.executable, context / "_build" / "scripts" / "introspect.py", "introspect", collections,
                    f"--write-pip={out / 'requirements.txt'}", f"--write-bindep={out / 'bindep.txt'}"], cwd=tmp_path)
    found = yaml.safe_load(process.stdout.split("---", 1)[1])
    assert found["system"] == []
    assert all(line.endswith("# from collection arcdata.sqlmi") for line in found["python"]), found
    pip_lines = (out / "requirements.txt").read_text().splitlines()
    # ansible-builder leaves out PyYAML on purpose (ansible-core, always in the image, depends on it)
    assert _names(pip_lines) == OUR_REQUIREMENTS - {"pyyaml"}, pip_lines
    assert "pyyaml" in {Requirement(r).name.lower() for r in importlib.metadata.requires("ansible-core")}
