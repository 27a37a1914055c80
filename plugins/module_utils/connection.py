# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Kubernetes API client per module run, built from the module's connection options.

Options win over the K8S_AUTH_* environment variables (the ones kubernetes.core users already
set; the argument spec reads them), a kubeconfig may be a path or a dict, and `host`/`api_key`/
TLS options override what the kubeconfig says. The kubernetes library's global default
configuration is never touched, and there is no silent in-cluster fallback: AWX runs inside a
cluster that is usually not the one to manage.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import AnsibleFallbackNotFound, env_fallback

from . import kubeconfig as kubeconfig_checks
from .azure_options import AZURE_ARGS

try:
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc
    ConfigException = Exception

# Paired with plugins/doc_fragments/connection.py: change both together.
CONNECTION_ARGS = dict(
    kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", aliases=["key_file"], no_log=False,
                    fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
    namespace=dict(type="str"),
)
# kubeconfig fields whose values are secrets: hidden from every output when a dict kubeconfig is given
SECRET_KUBECONFIG_FIELDS = ("token", "password", "client-key-data", "client-certificate-data", "id-token",
                            "refresh-token", "access-token", "client-secret")
DEFAULT_KUBECONFIG = "~/.kube/config"


class SiteConnectionError(Exception):
    """The options do not describe a reachable site; the message says which option and why."""


def secret_values(kubeconfig):
    """Every secret a dict kubeconfig holds (for the module's no_log_values)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in SECRET_KUBECONFIG_FIELDS and isinstance(value, str) and value:
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(kubeconfig)
    return found


def _kubeconfig_source(params):
    """('dict', value) or ('file', path) or (None, None) when neither option nor default file exists."""
    kubeconfig = params.get("kubeconfig")
    if isinstance(kubeconfig, dict):
        return "dict", kubeconfig
    if kubeconfig:
        path = os.path.expanduser(str(kubeconfig))
        if not os.path.isfile(path):
            raise SiteConnectionError("kubeconfig %r does not exist or is not a file" % str(kubeconfig))
        return "file", path
    default = os.path.expanduser(os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or DEFAULT_KUBECONFIG)
    if not params.get("host") and os.path.isfile(default):
        return "file", default
    return None, None


def build_configuration(params):
    """A private kubernetes Configuration and a label naming the site for messages."""
    configuration = client.Configuration()
    source, value = _kubeconfig_source(params)
    context = params.get("context") or None  # an empty K8S_AUTH_CONTEXT means "the current context"
    _check_kubeconfig(source, value, context, params)
    try:
        if source == "dict":
            config.load_kube_config_from_dict(value, context=context, client_configuration=configuration,
                                              persist_config=False)
        elif source == "file":
            config.load_kube_config(config_file=value, context=context, client_configuration=configuration,
                                    persist_config=False)
        elif not params.get("host"):
            raise SiteConnectionError("no site to connect to: set kubeconfig (or K8S_AUTH_KUBECONFIG), or host "
                                      "(or K8S_AUTH_HOST); in-cluster configuration is never used implicitly")
    except ConfigException as exc:
        raise SiteConnectionError(_config_problem(source, value, context, exc))
    _apply_overrides(configuration, params)
    context = _context_name(params, source, value)
    return configuration, ("context %s (%s)" % (context, configuration.host) if context else configuration.host)


def _check_kubeconfig(source, value, context, params):
    """Refuse a kubeconfig that cannot serve the connection, saying what is wrong with it (the library would
    answer with a traceback or, for a user without credentials, with 401 Unauthorized on the first request)."""
    if source is None:
        return
    what = "kubeconfig %r" % value if source == "file" else "the kubeconfig given as a dict"
    try:
        document = value if source == "dict" else kubeconfig_checks.load_file(value)
    except kubeconfig_checks.KubeconfigError as exc:
        raise SiteConnectionError(str(exc))
    problem = kubeconfig_checks.problem(document, context, what, host_given=bool(params.get("host")),
                                        credentials_given=bool(params.get("api_key") or params.get("client_cert")))
    if problem:
        raise SiteConnectionError(problem)


def _config_problem(source, value, context, exc):
    """Why the kubeconfig cannot be loaded; an unknown context is named with the contexts there are."""
    names = None
    try:
        if source == "dict":
            names = [c.get("name") for c in value.get("contexts") or []]
        elif source == "file":
            names = [c["name"] for c in config.list_kube_config_contexts(config_file=value)[0]]
    except (ConfigException, TypeError, KeyError, AttributeError, OSError):
        names = None
    if context and names is not None and context not in names:
        return "kubeconfig context %r: there is no context %r in the kubeconfig%s; its contexts are %s" % (
            context, context, " %r" % value if source == "file" else "", ", ".join(repr(n) for n in names) or "none")
    return "kubeconfig%s: %s" % (" context %r" % context if context else "", exc)


def _apply_overrides(configuration, params):
    if params.get("host"):
        configuration.host = params["host"]
    if params.get("api_key"):
        configuration.api_key = {"authorization": "Bearer %s" % params["api_key"]}
    if params.get("validate_certs") is not None:
        configuration.verify_ssl = params["validate_certs"]
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file")):
        if params.get(option):
            setattr(configuration, attribute, params[option])


def _context_name(params, source, value):
    """The kubeconfig context in use (the option, or the kubeconfig's current context), or None."""
    if params.get("context") or source is None:
        return params.get("context")
    try:
        if source == "dict":
            return value.get("current-context")
        return config.list_kube_config_contexts(config_file=value)[1]["name"]
    except (ConfigException, TypeError, KeyError, OSError):
        return None


def default_namespace(params):
    """The namespace option, else the kubeconfig context's namespace, else None."""
    if params.get("namespace"):
        return params["namespace"]
    source, value = _kubeconfig_source(params)
    try:
        if source == "dict":
            contexts = value.get("contexts") or []
            wanted = params.get("context") or value.get("current-context")
            entry = next((c for c in contexts if c.get("name") == wanted), {})
            return (entry.get("context") or {}).get("namespace")
        if source == "file":
            contexts, current = config.list_kube_config_contexts(config_file=value)
            wanted = params.get("context") or current["name"]
            entry = next((c for c in contexts if c["name"] == wanted), {})
            return (entry.get("context") or {}).get("namespace")
    except (ConfigException, KeyError, TypeError, AttributeError):
        return None
    return None


USER_AGENT = "arcdata.sqlmi/1.0.0 (Ansible collection)"


def api_client(params):
    configuration, label = build_configuration(params)
    # one retry layer only (service.py), so "after N attempts" is true and Retry-After is honoured once
    configuration.retries = False
    api = client.ApiClient(configuration)
    api.user_agent = USER_AGENT  # so a site's audit log tells the collection's requests from others
    return api, label


# Paired with ModuleDocFragment.WAIT in plugins/doc_fragments/connection.py.
WAIT_ARGS = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
)

# Paired with ModuleDocFragment.INFO_WAIT in plugins/doc_fragments/connection.py: the _info modules read, and wait
# only when asked to (each documents its own wait_condition, whose choices differ).
INFO_WAIT_ARGS = dict(
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600),
)


# Paired with PAIR_SITE_OPTIONS in plugins/doc_fragments/connection.py: one site of a DR pair, for the modules that
# work on both sites in one run. Each site has its own Azure options too (azure_options.py): the two sites of a pair
# may be in different resource groups, subscriptions or connection modes.
PAIR_SITE_ARGS = dict(CONNECTION_ARGS)
PAIR_SITE_ARGS.update(AZURE_ARGS)
PAIR_SITE_ARGS.update(
    name=dict(type="str", required=True),
    dag_resource=dict(type="str", required=True),
    instance=dict(type="str"),
    home_role=dict(type="str", choices=["primary", "secondary"]),
    withdraw_abandoned_switch=dict(type="bool", default=False),
)


def with_fallbacks(options):
    """A pair site's options where a connection option given as null or empty falls back as an omitted one does (Ansible
    applies fallbacks to omitted options only, and a site list built in Jinja has nulls for undefined variables)."""
    found = dict(options)
    for name, spec in CONNECTION_ARGS.items():
        fallback = spec.get("fallback")
        if found.get(name) in (None, "") and fallback:
            strategy, names = fallback  # (env_fallback, [variable names]), as in CONNECTION_ARGS
            try:
                found[name] = strategy(*names)
            except AnsibleFallbackNotFound:
                continue
    return found
