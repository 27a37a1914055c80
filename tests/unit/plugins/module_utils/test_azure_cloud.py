# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_client import read_json
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_cloud import resolve_cloud
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput

STACK_URL = "https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01"
# the 2022-09-01 form: a list of clouds
CLOUD_LIST = [
    {"name": "AzureCloud", "resourceManager": "https://management.azure.com/",
     "authentication": {"loginEndpoint": "https://login.microsoftonline.com",
                        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"]}},
    {"name": "AzureStackHub", "resourceManager": "https://management.local.azurestack.external/",
     "authentication": {"loginEndpoint": "https://adfs.local.azurestack.external/",
                        "audiences": ["https://management.adfs.azurestack.local/4e7d-aud"]}},
]
# the 2015-01-01 form: one cloud, without resourceManager
SINGLE_CLOUD = {"galleryEndpoint": "https://portal.local.azurestack.external:30015/",
                "authentication": {"loginEndpoint": "https://login.sandbox.test:8443/",
                                   "audiences": ["https://management.sandbox.test/"]}}


def no_metadata(url):
    raise AssertionError("a cloud name must not read %s" % url)


@pytest.mark.parametrize("name, resource_manager, authority, scope", [
    (None, "https://management.azure.com/", "https://login.microsoftonline.com",
     "https://management.azure.com/.default"),
    ("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn",
     "https://management.chinacloudapi.cn/.default"),
    ("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us",
     "https://management.usgovcloudapi.net/.default"),
])
def test_a_public_cloud_by_name_needs_no_request(name, resource_manager, authority, scope):
    cloud = resolve_cloud(name, no_metadata)
    assert (cloud.resource_manager, cloud.authority_host, cloud.scope) == (resource_manager, authority, scope)
    assert cloud.well_known_authority


def test_a_metadata_list_gives_the_cloud_whose_resource_manager_is_the_url_host():
    cloud = resolve_cloud(STACK_URL, {STACK_URL: CLOUD_LIST}.get)
    assert cloud.name == "AzureStackHub"
    assert cloud.resource_manager == "https://management.local.azurestack.external/"
    assert cloud.authority_host == "https://adfs.local.azurestack.external"
    assert cloud.scope == "https://management.adfs.azurestack.local/4e7d-aud/.default"
    assert not cloud.well_known_authority  # azure-identity must not ask Microsoft's instance discovery about it


def test_the_resource_manager_audience_is_preferred_over_the_first_listed():
    url = "https://management.azure.com/metadata/endpoints?api-version=2022-09-01"
    assert resolve_cloud(url, {url: CLOUD_LIST}.get).scope == "https://management.azure.com/.default"


def test_a_single_cloud_document_has_the_metadata_origin_as_resource_manager():
    url = "https://management.sandbox.test:8443/metadata/endpoints?api-version=2015-01-01"
    cloud = resolve_cloud(url, {url: SINGLE_CLOUD}.get)
    assert cloud.resource_manager == "https://management.sandbox.test:8443/"
    assert cloud.authority_host == "https://login.sandbox.test:8443"
    assert cloud.scope == "https://management.sandbox.test/.default"


def test_several_clouds_none_matching_is_refused_naming_them():
    url = "https://elsewhere.example/metadata/endpoints?api-version=2022-09-01"
    with pytest.raises(InvalidInput) as caught:
        resolve_cloud(url, {url: CLOUD_LIST}.get)
    assert "AzureCloud, AzureStackHub" in caught.value.message


@pytest.mark.parametrize("value", ["AzurePublicCloud", "http://management.example/metadata/endpoints"])
def test_an_unknown_name_or_plain_http_is_refused_listing_the_names(value):
    with pytest.raises(InvalidInput) as caught:
        resolve_cloud(value, no_metadata)
    assert caught.value.details["option"] == "cloud_environment"
    assert "AzureChinaCloud, AzureCloud, AzureUSGovernment" in caught.value.message


def test_metadata_without_a_login_endpoint_is_refused():
    with pytest.raises(InvalidInput, match="loginEndpoint"):
        resolve_cloud(STACK_URL, {STACK_URL: [{"name": "x", "resourceManager": STACK_URL}]}.get)


def test_read_json_reads_the_metadata_once_through_azure_core(arm):
    arm.fake.answer("GET", "/metadata/endpoints", 200, CLOUD_LIST)
    assert read_json(STACK_URL, True, transport=arm.transport) == CLOUD_LIST
    assert len(arm.fake.requests) == 1 and arm.fake.requests[0].headers["User-Agent"].startswith("arcdata.sqlmi/")


def test_an_unreadable_metadata_endpoint_names_the_option(arm):
    arm.fake.answer("GET", "/metadata/endpoints", 404, {"error": {"code": "NotFound", "message": "no"}})
    with pytest.raises(InvalidInput) as caught:
        read_json(STACK_URL, True, transport=arm.transport)
    assert caught.value.details == {"option": "cloud_environment", "value": STACK_URL}
