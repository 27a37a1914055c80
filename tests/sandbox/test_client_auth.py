"""Authentication and transport: bearer tokens, each site's own CA, no plain HTTP."""
import pytest
import urllib3
from kubernetes import client

from .client_support import SQLMI, api_error, assert_status
from .conftest import sqlmi_body


def _configuration(site, host=None, token=None, ca_cert=None):
    """A client configuration built by hand (not from the kubeconfig, whose loader would restore its values)."""
    configuration = client.Configuration(host=host or site.api_url)
    configuration.ssl_ca_cert = str(ca_cert or site.files.ca_cert)
    configuration.retries = 0
    if token is not None:
        configuration.api_key = {"BearerToken": f"Bearer {token}"}
    return configuration


def _calls(api_client, namespace):
    custom = client.CustomObjectsApi(api_client)
    return {
        "custom list": lambda: custom.list_namespaced_custom_object(*SQLMI[:2], namespace, SQLMI[2]),
        "secret list": lambda: client.CoreV1Api(api_client).list_namespaced_secret(namespace),
        "discovery": lambda: client.ApisApi(api_client).get_api_versions(),
    }


def test_the_site_token_is_accepted(primary):
    api_client = client.ApiClient(_configuration(primary, token=primary.token))
    for call in _calls(api_client, primary.namespace).values():
        call()  # no exception: authorised


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["no token", "wrong token", "empty token"])
def test_missing_or_wrong_token_is_401_with_a_status(primary, token):
    api_client = client.ApiClient(_configuration(primary, token=token))
    for name, call in _calls(api_client, primary.namespace).items():
        error, status = api_error(call)
        assert error.status == 401, name
        assert_status(status, 401, "Unauthorized")
        assert status["message"] == "Unauthorized"


def test_one_site_token_does_not_open_the_other(primary, secondary):
    assert primary.token != secondary.token
    api_client = client.ApiClient(_configuration(secondary, token=primary.token))
    error, dummy = api_error(_calls(api_client, secondary.namespace)["custom list"])
    assert error.status == 401


def test_a_refused_request_writes_nothing(primary, unique_name):
    name = unique_name("unauth")
    api = client.CustomObjectsApi(client.ApiClient(_configuration(primary, token="wrong")))
    error, dummy = api_error(api.create_namespaced_custom_object, *SQLMI[:2], primary.namespace, SQLMI[2],
                             sqlmi_body(name, primary.namespace))
    assert error.status == 401
    error, dummy = api_error(primary.custom().get_namespaced_custom_object, *SQLMI[:2], primary.namespace, SQLMI[2],
                             name)
    assert error.status == 404


def test_plain_http_to_the_https_port_is_never_served(primary):
    http_url = primary.api_url.replace("https://", "http://", 1)
    api_client = client.ApiClient(_configuration(primary, host=http_url, token=primary.token))
    try:
        info, code, dummy = client.VersionApi(api_client).get_code_with_http_info()
    except (urllib3.exceptions.HTTPError, OSError):
        return  # refused at the connection level
    except client.ApiException as error:
        assert not 200 <= error.status < 300
        return
    pytest.fail(f"plain HTTP was served: {code} {info}")


def test_each_site_has_its_own_certificate_authority(primary, secondary):
    """The secondary's server certificate does not verify against the primary's CA."""
    api_client = client.ApiClient(_configuration(secondary, token=secondary.token, ca_cert=primary.files.ca_cert))
    with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        client.VersionApi(api_client).get_code()
    assert isinstance(caught.value.reason, urllib3.exceptions.SSLError)
