"""Request bodies: the media types the server accepts, and the answers to malformed ones."""
import json

import yaml

from . import errors, patching
from .protobuf import PROTOBUF, decode_object

MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's limit for a request body
OBJECT_TYPES = ("application/json", "application/yaml")
PATCH_TYPES = (patching.JSON_PATCH, patching.MERGE_PATCH, patching.STRATEGIC_MERGE_PATCH, patching.APPLY_PATCH)


def media_type(request):
    return (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()


async def read(request, accepted):
    """The decoded body of a write; 415 for a media type outside `accepted`, 400 if it does not parse."""
    content_type = media_type(request)
    if not content_type and accepted == OBJECT_TYPES:
        # kube-apiserver decodes a body sent without Content-Type with its first serializer (JSON); the
        # official Python client sends creates and replaces of custom objects without one
        content_type = "application/json"
    protobuf = content_type == PROTOBUF and accepted == OBJECT_TYPES
    if content_type not in accepted and not protobuf:
        raise errors.unsupported_media_type(content_type, list(accepted))
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise errors.ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY_BYTES}")
    if not raw.strip():
        raise errors.bad_request("the body of the request was empty")
    if protobuf:
        return decode_object(raw, accepted)
    try:
        if content_type in ("application/yaml", patching.APPLY_PATCH):
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {_first_line(exc)}")


async def read_optional(request):
    """DeleteOptions may come as a body or not at all."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise errors.bad_request(f"json parse error in DeleteOptions: {_first_line(exc)}")
    if not isinstance(value, dict):
        raise errors.bad_request("DeleteOptions must be a JSON object")
    return value


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
