"""The release artifact (issue 8, item 5): the tarball `ansible-galaxy collection build` makes from a clean copy of
the repository holds what users need (every module, role, playbook, the shipped RBAC and AWX content, the docs,
the changelog) and nothing else (no sandbox, tests, bench, build outputs, virtualenvs, molecule scenarios); it
installs offline into an empty collections path; and from there `ansible-doc` documents the modules and `dr_setup`
sets up a pair on the sandbox, with Ansible reading nothing but the installed copy."""
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from .conftest import HOSTS, REPO_ROOT, Ansible
from .dr_playbooks import PlaybookPairs, connected, dag_object

BIN = Path(sys.executable).parent
# what must never be in the tarball: where it starts, or a part of its path
NOT_SHIPPED_PREFIXES = ("sandbox/", "tests/", "bench/", "build/", ".venv/", ".sandbox/", "devtools/", ".ci/",
                        "extensions/molecule/", "changelogs/fragments/", "Makefile", "pytest.ini",
                        "requirements-dev.txt", "constraints-dev.txt", ".gitignore")
NOT_SHIPPED_PARTS = ("__pycache__", ".pyc", "dr-reports", ".pytest_cache")
# directories whose tracked files users need, all of them
SHIPPED_DIRS = ("plugins/", "roles/", "playbooks/", "meta/", "extensions/rbac/", "extensions/awx/", "docs/")
# top-level files users need once they exist (CHANGELOG.md comes with the first release)
TOP_LEVEL = ("CHANGELOG.md", "execution-environment.yml", "bindep.txt", "LICENSE", "COPYING")


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))}: {result.stdout}\n{result.stderr}"
    return result


def _tracked_files():
    listed = _run(["git", "ls-files"], cwd=REPO_ROOT).stdout.splitlines()
    return {path for path in listed if (REPO_ROOT / path).is_file()}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """(the tarball, the collections path it was installed into) from a clean copy of the checkout."""
    work = tmp_path_factory.mktemp("release")
    copy = work / "src" / "ansible_collections" / "arcdata" / "sqlmi"
    _run([sys.executable, str(REPO_ROOT / "devtools" / "sync_build_tree.py"), str(REPO_ROOT), str(copy)])
    _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work)], cwd=copy)
    version = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["version"]
    tarball = work / f"arcdata-sqlmi-{version}.tar.gz"
    installed = work / "installed"
    # as a user would, into an empty path: the build tree on this process's collections path would otherwise count
    # as "already installed"
    _run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(installed), str(tarball)],
         env=_only(installed))
    assert (installed / "ansible_collections" / "arcdata" / "sqlmi" / "MANIFEST.json").is_file()
    return tarball, installed


def _only(installed):
    """An environment in which Ansible sees no collection but the installed copy."""
    return {"PATH": str(BIN), "HOME": str(installed), "ANSIBLE_COLLECTIONS_PATH": str(installed)}


def test_the_tarball_holds_what_users_need_and_nothing_else(release):
    tarball = release[0]
    with tarfile.open(tarball) as archive:
        members = {m.name for m in archive.getmembers() if m.isfile()}
    unwanted = sorted(m for m in members if m.startswith(NOT_SHIPPED_PREFIXES) or any(p in m for p in NOT_SHIPPED_PARTS))
    assert not unwanted, unwanted
    tracked = _tracked_files()
    needed = {path for path in tracked if path.startswith(SHIPPED_DIRS) or path in TOP_LEVEL} | {
        "README.md", "requirements.txt", "changelogs/changelog.yaml", "MANIFEST.json", "FILES.json"}
    assert sorted(needed - members) == []


def test_the_changelog_of_the_tarball_describes_this_version(release):
    """antsibull-changelog made CHANGELOG.md from the fragments: the release of galaxy.yml's version is in the
    tarball's changelog, with changes, and the changelog data passes antsibull-changelog's own lint."""
    version = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["version"]
    with tarfile.open(release[0]) as archive:
        markdown = archive.extractfile("CHANGELOG.md").read().decode()
        data = yaml.safe_load(archive.extractfile("changelogs/changelog.yaml").read())
    assert "## v%s\n" % version.replace(".", "\\.") in markdown, markdown[:500]
    changes = data["releases"][version]["changes"]
    assert changes["release_summary"] and changes["minor_changes"], changes.keys()
    _run([str(BIN / "antsibull-changelog"), "lint"], cwd=REPO_ROOT)


def test_ansible_doc_documents_every_module_from_the_installed_copy(release):
    installed = release[1]
    modules = sorted(p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    env = _only(installed)
    listed = _run([str(BIN / "ansible-doc"), "--list", "arcdata.sqlmi", "--json"], env=env).stdout
    assert sorted(name.split(".")[-1] for name in yaml.safe_load(listed)) == modules
    shown = _run([str(BIN / "ansible-doc"), "arcdata.sqlmi.arc_dag"], env=env).stdout
    assert str(installed / "ansible_collections" / "arcdata" / "sqlmi" / "plugins" / "modules" / "arc_dag.py") in shown
    assert "remote_mirroring_cert" in shown


def test_dr_setup_from_the_installed_copy_sets_up_a_pair(release, arc_sites, tmp_path):
    installed = release[1]
    pairs = PlaybookPairs(arc_sites, tmp_path)
    pair = pairs.new("rel")
    try:
        # only the installed copy: no build tree on the collections path, nor on PYTHONPATH
        run = Ansible(arc_sites, tmp_path).run("arcdata.sqlmi.dr_setup", inventory=pairs.inventory(pair), verbosity=3,
                                               env={"ANSIBLE_COLLECTIONS_PATH": str(installed), "PYTHONPATH": ""})
        assert run.rc == 0, run
        module = installed / "ansible_collections" / "arcdata" / "sqlmi" / "plugins" / "modules" / "arc_dag.py"
        assert f"Using module file {module}" in run.stdout
        for site in HOSTS:
            assert connected(dag_object(arc_sites, pair, site))
    finally:
        pairs.remove_all()
