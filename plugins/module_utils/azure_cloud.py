# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Azure cloud to talk to: its Resource Manager endpoint, the token scope and the Entra authority host.

`cloud_environment` is, as in azure.azcollection, either the name of a public cloud (AzureCloud,
AzureChinaCloud, AzureUSGovernment) or the URL of a Resource Manager metadata endpoint
(`https://<arm>/metadata/endpoints?api-version=...`, as Azure Stack Hub and private clouds publish it),
which is read once per module run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import urlparse

from .errors import InvalidInput

DEFAULT_CLOUD = "AzureCloud"


class AzureCloud(object):
    """One cloud's endpoints. `authority_host` is the Entra login host (https URL without a trailing slash);
    `well_known_authority` says whether azure-identity may check it against Microsoft's instance discovery."""

    def __init__(self, name, resource_manager, authority_host, audience=None, well_known_authority=False):
        self.name = name
        self.resource_manager = resource_manager.rstrip("/") + "/"
        self.authority_host = authority_host.rstrip("/")
        self.audience = (audience or resource_manager).rstrip("/")
        self.well_known_authority = well_known_authority

    @property
    def scope(self):
        """The token scope for Resource Manager: its audience with /.default."""
        return self.audience + "/.default"

    def __repr__(self):
        return "AzureCloud(%r, %r)" % (self.name, self.resource_manager)


PUBLIC_CLOUDS = dict((cloud.name, cloud) for cloud in (
    AzureCloud("AzureCloud", "https://management.azure.com/", "https://login.microsoftonline.com",
               well_known_authority=True),
    AzureCloud("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn",
               well_known_authority=True),
    AzureCloud("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us",
               well_known_authority=True),
))


def resolve_cloud(value, read_metadata):
    """The AzureCloud that `value` (a public cloud's name, a metadata URL, or None for AzureCloud) names.
    `read_metadata(url)` returns the decoded JSON of a metadata endpoint; it is called only for a URL."""
    value = value or DEFAULT_CLOUD
    if value in PUBLIC_CLOUDS:
        return PUBLIC_CLOUDS[value]
    if urlparse(value).scheme != "https":
        raise InvalidInput("cloud_environment %r is neither a cloud name (%s) nor the https URL of a Resource "
                           "Manager metadata endpoint" % (value, ", ".join(sorted(PUBLIC_CLOUDS))),
                           option="cloud_environment", value=value)
    return cloud_from_metadata(value, read_metadata(value))


def cloud_from_metadata(url, document):
    """The AzureCloud a metadata endpoint describes. Newer api-versions answer with a list of clouds (the one whose
    resourceManager is the endpoint's host is meant); 2015-01-01 answers with one cloud without resourceManager,
    which is then the endpoint's own origin."""
    entry = _entry_for(url, document)
    authentication = entry.get("authentication") or {}
    login = authentication.get("loginEndpoint")
    if not login:
        raise InvalidInput("cloud_environment %r: the metadata has no authentication.loginEndpoint" % url,
                           option="cloud_environment", value=url)
    origin = urlparse(url)
    resource_manager = entry.get("resourceManager") or "%s://%s/" % (origin.scheme, origin.netloc)
    return AzureCloud(entry.get("name") or origin.netloc, resource_manager, login,
                      audience=_audience(resource_manager, authentication.get("audiences") or []))


def _entry_for(url, document):
    if isinstance(document, dict):
        return document
    if not isinstance(document, list) or not document:
        raise InvalidInput("cloud_environment %r: the metadata endpoint did not answer with a cloud description" % url,
                           option="cloud_environment", value=url)
    host = urlparse(url).hostname
    matching = [entry for entry in document if urlparse(entry.get("resourceManager") or "").hostname == host]
    if len(matching) == 1 or len(document) == 1:
        return (matching or document)[0]
    raise InvalidInput("cloud_environment %r: the metadata describes several clouds (%s) and none has %s as its "
                       "resourceManager; use the metadata URL of the cloud's own Resource Manager" % (
                           url, ", ".join(str(entry.get("name")) for entry in document), host),
                       option="cloud_environment", value=url)


def _audience(resource_manager, audiences):
    """The token audience: the one that is the Resource Manager URL itself when listed, else the first listed."""
    for audience in audiences:
        if audience.rstrip("/") == resource_manager.rstrip("/"):
            return audience
    return audiences[0] if audiences else resource_manager
