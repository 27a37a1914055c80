"""The three patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and, for built-in
kinds only, strategic merge patch. Custom resources refuse strategic merge patch with 415, as a
real server does, because their schemas carry no merge keys.
"""
import copy

import jsonpatch
import jsonpointer

from . import errors

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# List fields of the built-in kinds merged element by element, and the key that identifies an element.
MERGE_KEYS = {"ports": "port", "ownerReferences": "uid", "containers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "imagePullSecrets": "name", "conditions": "type"}
# Lists of scalars merged as sets.
SET_LISTS = {"finalizers"}


def accepted_types(rtype):
    types = [JSON_PATCH, MERGE_PATCH]
    if not rtype.custom:
        types.append(STRATEGIC_MERGE_PATCH)
    return types


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target, operations):
    if not isinstance(operations, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        return jsonpatch.apply_patch(target, operations)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise errors.ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {exc}")


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # $setElementOrder/..., $retainKeys: ordering hints we do not need
        if value is None:
            result.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key])
        elif key in SET_LISTS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = result[key] + [v for v in value if v not in result[key]]
        elif isinstance(value, dict):
            result[key] = strategic_merge_patch(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_list(current, patch_items, merge_key):
    merged = copy.deepcopy(current)
    for item in patch_items:
        if not isinstance(item, dict):
            continue
        position = next((i for i, c in enumerate(merged) if c.get(merge_key) == item.get(merge_key)), None)
        if item.get("$patch") == "delete":
            if position is not None:
                merged.pop(position)
        elif position is None:
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[position] = strategic_merge_patch(merged[position], item)
    return merged


def apply(rtype, content_type, target, patch):
    """The patched object; 415 for a patch type this kind does not accept."""
    if content_type == MERGE_PATCH:
        return merge_patch(target, patch)
    if content_type == JSON_PATCH:
        return json_patch(target, patch)
    if content_type == STRATEGIC_MERGE_PATCH and not rtype.custom:
        return strategic_merge_patch(target, patch)
    raise errors.unsupported_media_type(content_type, accepted_types(rtype))
