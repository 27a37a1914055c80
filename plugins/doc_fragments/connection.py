# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import yaml

from ansible_collections.arcdata.sqlmi.plugins.doc_fragments.azure import ModuleDocFragment as AzureDocFragment


class ModuleDocFragment(object):
    # Paired with CONNECTION_ARGS in plugins/module_utils/connection.py: change both together.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file of the site, or the kubeconfig itself as a dictionary.
      - Secrets inside a dictionary kubeconfig (tokens, passwords, client keys) are hidden from all output.
      - Falls back to E(K8S_AUTH_KUBECONFIG), then to the first file of E(KUBECONFIG) or C(~/.kube/config)
        when O(host) is not set either. In-cluster configuration is never used implicitly.
      - It is checked before any request; a file that is not YAML, a context whose cluster or user is missing, or a
        user without credentials (unless O(api_key) or O(client_cert) is given) fails the task, naming the entry.
    type: raw
  context:
    description:
      - The kubeconfig context to use; default is the kubeconfig's current context.
      - Falls back to E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - URL of the site's Kubernetes API; overrides the kubeconfig's server.
      - Falls back to E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token for the API; overrides the kubeconfig's credentials.
      - Falls back to E(K8S_AUTH_API_KEY).
    type: str
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate; overrides the kubeconfig.
      - Falls back to E(K8S_AUTH_VERIFY_SSL).
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA certificate that signed the API's certificate; overrides the kubeconfig.
      - Falls back to E(K8S_AUTH_SSL_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate for the API; overrides the kubeconfig.
      - Falls back to E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert); overrides the kubeconfig.
      - Falls back to E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  namespace:
    description:
      - The Kubernetes namespace of the Arc data controller and its instances (the C(az sql mi-arc --k8s-namespace) option).
      - Default is the namespace of the kubeconfig context; the module fails if neither is set.
    type: str
requirements:
  - kubernetes >= 24.2.0 (the official Kubernetes Python client)
notes:
  - All modules of this collection are in the action group C(arcdata.sqlmi.arc), so a play can set the connection
    options once with C(module_defaults).
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait until the Arc controller has carried out the change (watching the object, not polling).
      - Ignored in check mode.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait before failing. The failure names the object, the field, the value expected and the value
        last seen, and returns the last object.
    type: int
    default: 600
"""

    # Paired with INFO_WAIT_ARGS in plugins/module_utils/connection.py: change both together.
    INFO_WAIT = r"""
options:
  wait:
    description:
      - Wait until the object named by O(name) meets O(wait_condition), watching it (not polling), then return it
        as it was when the condition was met. O(name) is required then.
      - The wait ends at once, failing with the site, the object and the cause, when the site's API stops answering
        (after the retries a transient fault gets), or when the controller reports a failure that the condition
        cannot recover from.
      - Ignored in check mode, where the writes a wait would follow were not made; the module reads once.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for O(wait_condition) before failing. The failure message names the object, the field, the
        value expected, the value last seen and the time waited; the failed result carries them as C(object),
        C(field), C(expected), C(seen) and C(elapsed), with the last object seen as C(last_object).
    type: int
    default: 600
"""


# Paired with PAIR_SITE_ARGS in plugins/module_utils/connection.py: each site of a DR pair, for the modules that
# work on both sites in one run. Built from DOCUMENTATION above, so that the connection options are documented once.
PAIR_SITE_OPTIONS = r"""
name:
  description:
    - The site's name, as the inventory knows it (its host); used in messages and in the handover record.
  type: str
  required: true
dag_resource:
  description: Name of this site's DAG resource (C(FailoverGroup) or C(Dag)).
  type: str
  required: true
instance:
  description: This site's instance, for messages and the handover record; default is the DAG resource's local instance.
  type: str
home_role:
  description:
    - The site's role when the pair was set up; the failback returns the primary role to the site whose home role is
      C(primary).
  type: str
  choices: [primary, secondary]
withdraw_abandoned_switch:
  description:
    - Whether this site's controller is known to accept C(primary) on update, as
      M(arcdata.sqlmi.arc_dag)'s O(arcdata.sqlmi.arc_dag#module:withdraw_abandoned_switch) (a planned switch it
      abandoned is then withdrawn and asked for again; otherwise the module fails naming the state and the manual
      step).
  type: bool
  default: false
"""


def _within_a_site(text):
    """A connection option's description as a suboption of O(sites): its references to the other connection options
    name them there."""
    return re.sub(r"O\((\w+)(=[^)]*)?\)", r"O(sites[].\1\2)", text)


def _pair_sites_documentation():
    connection_options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    # each site has its own Azure options too (PAIR_SITE_ARGS)
    connection_options.update(yaml.safe_load(AzureDocFragment.DOCUMENTATION)["options"])
    for option in connection_options.values():
        lines = option["description"]
        option["description"] = [_within_a_site(line) for line in ([lines] if isinstance(lines, str) else lines)]
    suboptions = dict(yaml.safe_load(PAIR_SITE_OPTIONS), **connection_options)
    return yaml.safe_dump({
        "options": {"sites": {
            "description": [
                "The two sites of the DR pair, each with its own connection options.",
                "Each site's connection options are those of the collection's single-site modules, including their "
                "fallback to the E(K8S_AUTH_*) environment variables when not given.",
                "Each site's Azure options (direct connection mode) are those of the single-site modules too; the "
                "filter P(arcdata.sqlmi.arc_connection#filter) builds both from a site's inventory variables.",
            ],
            "type": "list", "elements": "dict", "required": True, "suboptions": suboptions}},
        "requirements": (yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["requirements"]
                         + yaml.safe_load(AzureDocFragment.DOCUMENTATION)["requirements"]),
    }, default_flow_style=False, sort_keys=False)


ModuleDocFragment.PAIR_SITES = _pair_sites_documentation()
