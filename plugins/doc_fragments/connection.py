# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
      - The Kubernetes namespace of the Arc data controller and its instances (the seed's C(--k8s-namespace)).
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
