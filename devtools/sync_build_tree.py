"""Mirror the checkout into build/ansible_collections/arcdata/sqlmi for ansible-test.

ansible-test only runs from a real `ansible_collections/<namespace>/<name>/` path (a symlink is
resolved and rejected), so the working tree is copied there. Only files git does not ignore are
copied, and files that disappeared from the checkout disappear from the copy, so the build tree
never tests something the repository does not contain.
"""
import filecmp
import os
import shutil
import subprocess
import sys

# Kept between runs: the build tree's own git repository (ansible-test lists content with git, and
# would otherwise find the checkout's, where build/ is ignored) and ansible-test's results.
KEPT_DIRS = {".git", "tests/output"}


def source_files(root):
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode()
    return {path for path in listing.split("\0") if path and os.path.isfile(os.path.join(root, path))}


def copied_files(dest):
    found = set()
    for directory, subdirs, files in os.walk(dest):
        subdirs[:] = [d for d in subdirs if os.path.relpath(os.path.join(directory, d), dest) not in KEPT_DIRS]
        found.update(os.path.relpath(os.path.join(directory, f), dest) for f in files)
    return found


def sync(root, dest):
    wanted = source_files(root)
    for stale in copied_files(dest) - wanted:
        os.remove(os.path.join(dest, stale))
    for path in sorted(wanted):
        src, dst = os.path.join(root, path), os.path.join(dest, path)
        if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def main():
    root = os.path.abspath(sys.argv[1])
    dest = os.path.abspath(sys.argv[2])
    os.makedirs(dest, exist_ok=True)
    if not os.path.isdir(os.path.join(dest, ".git")):
        subprocess.run(["git", "init", "--quiet", dest], check=True)
    sync(root, dest)


if __name__ == "__main__":
    main()
