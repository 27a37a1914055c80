"""Object name and label rules, with the messages a real API server gives."""
import re

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_HELP = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_1123_HELP = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                   "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                   "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
LABEL_1035_HELP = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                   "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                   "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def dns_subdomain_errors(name):
    errors = []
    if len(name) > 253:
        errors.append("must be no more than 253 characters")
    if not _SUBDOMAIN.match(name):
        errors.append(SUBDOMAIN_HELP)
    return errors


def dns_label_errors(name):
    errors = []
    if len(name) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_1123.match(name):
        errors.append(LABEL_1123_HELP)
    return errors


def dns_1035_label_errors(name):
    errors = []
    if len(name) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_1035.match(name):
        errors.append(LABEL_1035_HELP)
    return errors


def qualified_name_errors(key):
    """Label and annotation keys: an optional DNS subdomain prefix, '/', and a name of at most 63 characters."""
    prefix, name = key.rpartition("/")[::2]
    errors = []
    if prefix:
        errors.extend(f"prefix part {e}" for e in dns_subdomain_errors(prefix))
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character, and be no more than 63 characters")
    return errors


def label_value_errors(value):
    if not isinstance(value, str):
        return ["must be a string"]
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        return ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character, and be no more than 63 characters"]
    return []
