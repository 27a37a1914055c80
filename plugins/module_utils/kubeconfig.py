# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kubeconfig checked before the kubernetes library loads it.

The library reports a broken kubeconfig with a traceback (a YAML scanner error, a TypeError) or
with a message about its own internals; a user needs to hear what is wrong with the file: not
YAML, no clusters, a context naming a cluster or user that is not there, a user without
credentials. Messages name the kubeconfig and its entries, never a credential, and never quote a
line of the file (a YAML error's snippet could be the line holding a token).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import yaml
except ImportError:  # pragma: no cover - the kubernetes library needs PyYAML; the module reports its absence
    yaml = None

# what a kubeconfig user entry authenticates with (kubectl's fields); one of them must be set
CREDENTIAL_FIELDS = ("token", "tokenFile", "client-certificate", "client-certificate-data", "exec", "auth-provider",
                     "username")
SECTIONS = ("clusters", "contexts", "users")
EXPECTED = "a kubeconfig as `kubectl config view --raw` writes it, with clusters, contexts and users"


class KubeconfigError(ValueError):
    """The kubeconfig cannot serve the connection; the message says which entry and why."""


def load_file(path):
    """The YAML document of the kubeconfig file at `path`."""
    what = "kubeconfig %r" % path
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        raise KubeconfigError("%s cannot be read: %s" % (what, exc.strerror or exc))
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KubeconfigError("%s is not YAML (%s): expected %s" % (what, _where(exc), EXPECTED))


def _where(exc):
    """Line, column and problem of a YAML error, without the snippet of the file PyYAML adds."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "unreadable"
    if mark is None:
        return problem
    return "line %d, column %d: %s" % (mark.line + 1, mark.column + 1, problem)


def _entries(document, section):
    entries = document.get(section)
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _find(document, section, name):
    return next((e for e in _entries(document, section) if e.get("name") == name), None)


def _names(document, section):
    return ", ".join(repr(e.get("name")) for e in _entries(document, section)) or "none"


def _has_credentials(user):
    return any(user.get(field) for field in CREDENTIAL_FIELDS)


def problem(document, context, what, host_given=False, credentials_given=False):
    """Why `document` cannot connect through `context` (None: its current-context), or None when it can.
    `what` names the kubeconfig in messages; the host and credential options, when given, stand in for the
    cluster's server and the user's credentials."""
    if not isinstance(document, dict) or not any(section in document for section in SECTIONS):
        return "%s is not a kubeconfig (found %s): expected %s" % (what, type(document).__name__, EXPECTED)
    name = context or document.get("current-context")
    if not name:
        return "%s has no current-context and no context was given: set context to one of its contexts (%s)" % (
            what, _names(document, "contexts"))
    entry = _find(document, "contexts", name)
    if entry is None:
        return "kubeconfig context %r: there is no context %r in %s; its contexts are %s" % (
            name, name, what, _names(document, "contexts"))
    return _context_problem(document, name, entry.get("context") or {}, what, host_given, credentials_given)


def _context_problem(document, name, context, what, host_given, credentials_given):
    cluster = _find(document, "clusters", context.get("cluster"))
    if not host_given and cluster is None:
        return "%s: context %r names cluster %r, which is not among its clusters (%s)" % (
            what, name, context.get("cluster"), _names(document, "clusters"))
    if not host_given and not (cluster.get("cluster") or {}).get("server"):
        return "%s: cluster %r of context %r has no server URL (cluster.server, e.g. https://10.0.0.1:6443)" % (
            what, context.get("cluster"), name)
    if credentials_given:
        return None
    user = _find(document, "users", context.get("user"))
    if user is None:
        return "%s: context %r names user %r, which is not among its users (%s)" % (
            what, name, context.get("user"), _names(document, "users"))
    if not _has_credentials(user.get("user") or {}):
        return "%s: user %r of context %r has no credentials: expected one of %s (or set api_key)" % (
            what, context.get("user"), name, ", ".join(CREDENTIAL_FIELDS))
    return None
