"""Offline stand-in for the pip bootstrap script ansible-test downloads.

ansible-test bootstraps pip into the virtualenvs of its sanity tests by running a `get-pip.py`
fetched from a host this machine cannot reach. Installed as
~/.ansible/test/cache/get_pip_<version>.py, this script does the same job with the interpreter's
own ensurepip, then installs what ansible-test asked for from the reachable package index.
"""
import subprocess
import sys

# get-pip.py understands these; `pip install` does not.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + pip_args)


if __name__ == "__main__":
    main()
