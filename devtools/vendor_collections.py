"""Collections from Galaxy that the bench (kubernetes.core) and the AWX checks (awx.awx) compare against, taken
from the `ansible` wheel on PyPI since Galaxy cannot be reached here. Only those collections' files are unpacked
(a few MB, not the wheel's 470 MB). Our own modules never need them.

python devtools/vendor_collections.py DEST  -> DEST/ansible_collections/{kubernetes/core,awx/awx}
"""
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ANSIBLE_WHEEL = "ansible==12.3.0"  # kubernetes.core 6.x, awx.awx 24.x; works with ansible-core 2.19
COLLECTIONS = ("ansible_collections/kubernetes/core/", "ansible_collections/awx/awx/")


def main(destination):
    destination = Path(destination)
    stamp = destination / (".from-" + ANSIBLE_WHEEL.replace("==", "-"))
    if stamp.exists():
        return 0
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--dest", download, ANSIBLE_WHEEL], check=True)
        wheel = next(Path(download).glob("ansible-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(COLLECTIONS)]
            archive.extractall(destination, members)
    stamp.touch()
    names = [c.split("/", 1)[1].rstrip("/").replace("/", ".") for c in COLLECTIONS]
    print("vendored %s from %s into %s" % (", ".join(names), ANSIBLE_WHEEL, destination))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
