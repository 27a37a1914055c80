# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets that come inside a module's inputs without a no_log option of their own: the credentials of a
kubeconfig given as a dict, a private key pasted where a certificate belongs, and the Azure client secret of the
environment (AZURE_SECRET; the `secret` option is no_log, and listed too so that a refusal hides it anyway).

Ansible hides the values of no_log options only, so these are added to the module's no_log_values by hand,
and that must happen as soon as the inputs are read: a module that refuses its arguments (an unknown option,
a wrong type, a choice that does not exist) answers from inside AnsibleModule's constructor, with every
argument echoed back (shown at -vvv, kept in the log file and by callbacks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from .azure_credentials import secret_values as azure_secret_values
from .connection import secret_values as kubeconfig_secret_values

PRIVATE_KEY_MARK = "PRIVATE KEY-----"
# a PEM body line shorter than this (the last one, often a few characters) would censor unrelated text
MIN_KEY_LINE = 16


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def private_key_values(text):
    """A text holding a PEM private key, and each of its base64 lines (a message may quote one line)."""
    lines = [line.strip() for line in text.splitlines()]
    return [text] + [line for line in lines if len(line) >= MIN_KEY_LINE and "-----" not in line]


def secret_values(params):
    """Every secret of the module's inputs that no option's no_log covers."""
    found = set()
    # the site's kubeconfig, or each site's for the modules that work on both sites of a pair
    sites = [params] + [s for s in params.get("sites") or [] if isinstance(s, dict)]
    for site in sites:
        kubeconfig = site.get("kubeconfig")
        if isinstance(kubeconfig, dict):
            found.update(kubeconfig_secret_values(kubeconfig))
    found.update(azure_secret_values(params))
    for text in _strings(params):
        if PRIVATE_KEY_MARK in text:
            found.update(private_key_values(text))
    return found


class SecretHidingModule(AnsibleModule):
    """An AnsibleModule that hides those secrets from every answer, the refusal of its own arguments included."""

    def _load_params(self):
        super(SecretHidingModule, self)._load_params()
        self.no_log_values.update(secret_values(self.params or {}))
