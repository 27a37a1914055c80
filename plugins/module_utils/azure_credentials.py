# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure credentials from module options, ~/.azure/credentials, the environment, a managed identity or `az login`.

The option names, environment variables and precedence are azure.azcollection's, so that playbooks, AWX's
built-in "Microsoft Azure Resource Manager" credential (which sets AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT
and AZURE_SUBSCRIPTION_ID) and ~/.azure/credentials profiles work unchanged. `auth_source`:

- auto: the `profile` option (a section of ~/.azure/credentials); else `client_id` (with `secret`, `tenant`)
  given as options; else the environment (AZURE_PROFILE naming a section, or AZURE_SUBSCRIPTION_ID with
  AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT); else the file's [default] section; else the Azure CLI login.
- cli, env, credential_file, msi: only that source.

The `subscription_id` and `cloud_environment` options, when given, win over what the source says. Only
service principals with a client secret, managed identities and the Azure CLI login are supported.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.six.moves import configparser

from .arm_client import read_json
from .azure_cloud import resolve_cloud
from .errors import InvalidInput

try:
    from azure.identity import AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib (azure_libraries.py)
    AzureCliCredential = ClientSecretCredential = ManagedIdentityCredential = None

# option -> environment variable, as azure.azcollection names them
ENVIRONMENT = dict(
    profile="AZURE_PROFILE",
    subscription_id="AZURE_SUBSCRIPTION_ID",
    client_id="AZURE_CLIENT_ID",
    secret="AZURE_SECRET",
    tenant="AZURE_TENANT",
    cloud_environment="AZURE_CLOUD_ENVIRONMENT",
)
CA_BUNDLE_ENVIRONMENT = "REQUESTS_CA_BUNDLE"
CREDENTIALS_FILE = "~/.azure/credentials"
SERVICE_PRINCIPAL_FIELDS = ("client_id", "secret", "tenant")
NO_CREDENTIALS_HELP = (
    "set client_id, secret, tenant and subscription_id (or AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT and "
    "AZURE_SUBSCRIPTION_ID), or profile (or AZURE_PROFILE) naming a section of %s, or use auth_source=msi on a host "
    "with a managed identity, or log in with az login (auth_source=cli)" % CREDENTIALS_FILE)


class CredentialSettings(object):
    """What one source says: `kind` is service_principal, msi or cli; `origin` says where it came from, for messages."""

    def __init__(self, kind, origin, values):
        self.kind, self.origin = kind, origin
        self.values = dict((k, v) for k, v in values.items() if v not in (None, ""))

    def get(self, name):
        return self.values.get(name)


class AzureCredentials(object):
    """Everything a Resource Manager client needs: an azure-identity credential, the subscription (None: the
    credential's first subscription, found by the client), the cloud, the TLS verification for azure-core
    (`connection_verify`), a description of the source without secrets, the secret values to hide, and how to
    build a fresh credential (`renew`)."""

    def __init__(self, credential, subscription_id, cloud, source, connection_verify, secrets, renew=None):
        self.credential = credential
        self.renew = renew  # a new credential of the same source, with an empty token cache
        self.subscription_id = subscription_id
        self.cloud = cloud
        self.source = source
        self.connection_verify = connection_verify
        self.secrets = secrets


def secret_values(params, environ=None):
    """The secrets the options and the environment hold, for the module's no_log_values (before anything can fail)."""
    environ = os.environ if environ is None else environ
    return [value for value in (params.get("secret"), environ.get(ENVIRONMENT["secret"])) if value]


def azure_credentials(params, environ=None, credentials_file=CREDENTIALS_FILE, read_metadata=None, run_az=None):
    """The AzureCredentials the module options (AZURE_ARGS) and the environment describe; an InvalidInput naming the
    options and environment variables that would do, when they describe none. `read_metadata(url)` reads a cloud
    metadata endpoint (default: through azure-core); `run_az(arguments)` runs the Azure CLI and returns its output."""
    environ = os.environ if environ is None else environ
    settings = find_settings(params, environ, os.path.expanduser(credentials_file), run_az or _run_az)
    verify = connection_verify(params, environ)
    cloud_name = params.get("cloud_environment") or settings.get("cloud_environment") or \
        environ.get(ENVIRONMENT["cloud_environment"])
    cloud = resolve_cloud(cloud_name, read_metadata or _metadata_reader(verify))
    subscription_id = params.get("subscription_id") or settings.get("subscription_id")
    if subscription_id is None and settings.kind == "service_principal":
        raise InvalidInput("no Azure subscription: %s gives none; set subscription_id (or AZURE_SUBSCRIPTION_ID)" %
                           settings.origin, option="subscription_id")

    def renew():
        return build_credential(settings, cloud, verify)
    return AzureCredentials(renew(), subscription_id, cloud, describe(settings), verify,
                            [settings.get("secret")] if settings.get("secret") else [], renew)


def find_settings(params, environ, credentials_file, run_az):
    source = params.get("auth_source") or "auto"
    if source == "msi":
        return CredentialSettings("msi", "a managed identity", dict(
            client_id=params.get("client_id") or environ.get(ENVIRONMENT["client_id"]),
            subscription_id=environ.get(ENVIRONMENT["subscription_id"])))
    if source == "cli":
        return cli_settings(params, environ, run_az, required=True)
    if source == "env":
        return _required(environment_settings(environ, credentials_file), "auth_source=env found no credentials in "
                         "the environment: set AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT and AZURE_SUBSCRIPTION_ID, "
                         "or AZURE_PROFILE")
    if source == "credential_file":
        return profile_settings(params.get("profile") or "default", credentials_file)
    return automatic_settings(params, environ, credentials_file, run_az)


def automatic_settings(params, environ, credentials_file, run_az):
    """azure.azcollection's order for auth_source=auto."""
    if params.get("profile"):
        return profile_settings(params["profile"], credentials_file)
    if params.get("client_id"):
        return _service_principal("the module options", dict((k, params.get(k)) for k in SERVICE_PRINCIPAL_FIELDS),
                                  "set %s")
    found = environment_settings(environ, credentials_file) or \
        profile_settings("default", credentials_file, required=False) or \
        cli_settings(params, environ, run_az, required=False)
    return _required(found, "no Azure credentials found: " + NO_CREDENTIALS_HELP)


def environment_settings(environ, credentials_file):
    """AZURE_PROFILE's section, or the AZURE_* variables when AZURE_SUBSCRIPTION_ID is set, else None."""
    if environ.get(ENVIRONMENT["profile"]):
        return profile_settings(environ[ENVIRONMENT["profile"]], credentials_file)
    if not environ.get(ENVIRONMENT["subscription_id"]):
        return None
    values = dict((name, environ.get(variable)) for name, variable in ENVIRONMENT.items())
    return _service_principal("the environment", values, "set the environment variable for %s",
                              naming=ENVIRONMENT)


def profile_settings(name, credentials_file, required=True):
    """A section of ~/.azure/credentials (keys named as the options); None for a missing one unless `required`."""
    parser = configparser.ConfigParser()
    try:
        parser.read(credentials_file)
    except configparser.Error as exc:
        raise InvalidInput("%s cannot be read: %s" % (credentials_file, exc), option="profile", value=name)
    if not parser.has_section(name):
        if not required:
            return None
        raise InvalidInput("profile %r: %s has no [%s] section" % (name, credentials_file, name),
                           option="profile", value=name)
    values = dict((key, parser.get(name, key, raw=True)) for key in ENVIRONMENT if parser.has_option(name, key))
    origin = "profile %r in %s" % (name, credentials_file)
    if not values.get("subscription_id"):
        if not required:
            return None  # as azure.azcollection: a [default] section without a subscription is no source
        raise InvalidInput("%s has no subscription_id" % origin, option="profile", value=name)
    return _service_principal(origin, values, "add %s to the section")


def cli_settings(params, environ, run_az, required):
    """The Azure CLI login: its default subscription unless one is given. None when `az` is not logged in (or
    not installed) and not `required`."""
    subscription_id = params.get("subscription_id") or environ.get(ENVIRONMENT["subscription_id"])
    try:
        account = {"id": subscription_id} if subscription_id else json.loads(run_az(["account", "show", "--output",
                                                                                     "json"]))
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        if not required:
            return None
        raise InvalidInput("auth_source=cli: the Azure CLI has no usable login (%s); run az login, or choose "
                           "another auth_source" % _az_problem(exc), option="auth_source", value="cli")
    return CredentialSettings("cli", "the Azure CLI login (az login)", dict(
        subscription_id=account.get("id"), tenant=params.get("tenant")))


def _service_principal(origin, values, how_to_add, naming=None):
    settings = CredentialSettings("service_principal", origin, values)
    missing = [name for name in SERVICE_PRINCIPAL_FIELDS if not settings.get(name)]
    if missing:
        names = [(naming or {}).get(name, name) for name in missing]
        raise InvalidInput("%s gives an incomplete service principal: %s missing (a service principal needs "
                           "client_id, secret and tenant); %s" % (origin, ", ".join(names), how_to_add %
                                                                  ", ".join(names)),
                           option=missing[0])
    return settings


def _required(settings, message):
    if settings is None:
        raise InvalidInput(message, option="auth_source")
    return settings


def _run_az(arguments):
    """The Azure CLI's output; OSError when it is not installed, CalledProcessError when it fails."""
    try:
        executable = get_bin_path("az")
    except ValueError as exc:
        raise OSError(str(exc))
    return subprocess.check_output([executable] + list(arguments), stderr=subprocess.PIPE)


def _az_problem(exc):
    if isinstance(exc, subprocess.CalledProcessError):
        output = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else exc.stderr
        return (output or "az account show failed").strip().splitlines()[-1]
    return str(exc)


def connection_verify(params, environ):
    """What azure-core and azure-identity verify TLS with: the ca_bundle option, else REQUESTS_CA_BUNDLE, else the
    system's trust store (True)."""
    bundle = params.get("ca_bundle") or environ.get(CA_BUNDLE_ENVIRONMENT)
    if not bundle:
        return True
    bundle = os.path.expanduser(bundle)
    if not os.path.isfile(bundle):
        raise InvalidInput("ca_bundle %r does not exist or is not a file" % bundle, option="ca_bundle", value=bundle)
    return bundle


def build_credential(settings, cloud, verify):
    """The azure-identity credential for `settings`, authenticating against `cloud`'s authority host."""
    if settings.kind == "cli":
        return AzureCliCredential(tenant_id=settings.get("tenant") or "")
    if settings.kind == "msi":
        return ManagedIdentityCredential(client_id=settings.get("client_id"), connection_verify=verify)
    # an authority Microsoft does not know (Azure Stack Hub, a private cloud, the sandbox) fails instance discovery
    return ClientSecretCredential(settings.get("tenant"), settings.get("client_id"), settings.get("secret"),
                                  authority=cloud.authority_host, connection_verify=verify,
                                  disable_instance_discovery=not cloud.well_known_authority)


def describe(settings):
    """The credential source for messages: who, and from where; never the secret."""
    if settings.kind == "service_principal":
        return "service principal %s (from %s)" % (settings.get("client_id"), settings.origin)
    if settings.kind == "msi":
        client_id = settings.get("client_id")
        return "managed identity %s" % ("with client ID %s" % client_id if client_id else "(system-assigned)")
    return settings.origin


def _metadata_reader(verify):
    def read(url):
        return read_json(url, verify)
    return read
