# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets inside a module's inputs (a dict kubeconfig's credentials, a pasted private key) are hidden from
every answer of the module, also when it refuses its arguments from inside AnsibleModule's constructor."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.arcdata.sqlmi.plugins.module_utils import connection, hidden_inputs

TOKEN = "fake-token-0123456789abcdef"
KUBECONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "site",
              "clusters": [{"name": "site", "cluster": {"server": "https://127.0.0.1:16443"}}],
              "users": [{"name": "admin", "user": {"token": TOKEN}}],
              "contexts": [{"name": "site", "context": {"cluster": "site", "user": "admin"}}]}
SPEC = dict(connection.CONNECTION_ARGS, name=dict(type="str"), replicas=dict(type="int"),
            certificate=dict(type="str"))


def _answer(capsys, args):
    """What the module prints when it refuses `args` (it exits from its constructor)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            hidden_inputs.SecretHidingModule(argument_spec=SPEC)
    return json.loads(capsys.readouterr().out)


def test_a_refused_argument_does_not_echo_the_kubeconfig_token(capsys):
    answer = _answer(capsys, {"kubeconfig": KUBECONFIG, "name": "sql1", "nmae": "typo"})
    assert answer["failed"] and "nmae" in answer["msg"]
    assert TOKEN not in json.dumps(answer)
    # the rest of the kubeconfig is still shown, so the user sees which one was used
    assert answer["invocation"]["module_args"]["kubeconfig"]["clusters"][0]["cluster"]["server"] == \
        "https://127.0.0.1:16443"


def test_a_refused_argument_does_not_echo_a_pasted_private_key(capsys, certs):
    key = certs.private_key_pkcs8()
    answer = _answer(capsys, {"kubeconfig": KUBECONFIG, "certificate": key, "replicas": "three"})
    assert answer["failed"] and "replicas" in answer["msg"]
    text = json.dumps(answer)
    for line in key.splitlines():
        if "-----" not in line and len(line) >= hidden_inputs.MIN_KEY_LINE:
            assert line not in text


def test_secret_values_of_the_inputs(certs):
    key = certs.private_key_pkcs8()
    found = hidden_inputs.secret_values({"kubeconfig": KUBECONFIG, "name": "sql1", "nested": [{"pem": key}]})
    assert TOKEN in found and key in found
    assert "sql1" not in found and "https://127.0.0.1:16443" not in found
    assert hidden_inputs.secret_values({"kubeconfig": "/path/to/kubeconfig", "name": "sql1"}) == set()
