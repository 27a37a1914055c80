"""Structural OpenAPI v3 schemas, as the API server applies them to custom resources.

Three steps, in the server's order: prune fields the schema does not declare (reporting them, so
`fieldValidation=Strict` can refuse and `Warn` can warn), apply `default`s, then validate. The
validation itself is jsonschema's; this file translates the Kubernetes dialect (`nullable`,
`x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`) and renders the errors as
the `details.causes` of a 422 response.
"""
import copy
import json

import jsonschema

# Root fields every object has whatever its schema says; metadata is handled by the server itself.
ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def _join(path, key):
    return f"{path}.{key}" if path else key


def prune(value, schema, path=""):
    """Remove undeclared fields in place; returns the dotted paths of what was removed."""
    if not schema or schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return []
    removed = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        for key in list(value):
            if not path and key in ROOT_FIELDS:
                continue
            if properties is not None and key in properties:
                removed += prune(value[key], properties[key], _join(path, key))
            elif isinstance(additional, dict):
                removed += prune(value[key], additional, _join(path, key))
            elif additional is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                continue
            elif properties is not None or schema.get("type") == "object":
                del value[key]
                removed.append(_join(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            removed += prune(item, schema["items"], f"{path}[{index}]")
    return removed


def apply_defaults(value, schema):
    """Fill in `default`s of absent properties, in place, recursively."""
    if not schema:
        return
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                apply_defaults(value[key], sub)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            for key in value:
                apply_defaults(value[key], additional)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


def to_json_schema(schema):
    """Translate a Kubernetes structural schema into plain JSON Schema (draft 7)."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, sub in schema.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "description", "example", "externalDocs", "default"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: to_json_schema(s) for name, s in sub.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = to_json_schema(sub)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [to_json_schema(s) for s in sub]
        elif key == "format":
            continue  # formats are informational in structural schemas we serve
        else:
            out[key] = sub
    if schema.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


_TYPE_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object",
               type(None): "null"}


def _type_name(value):
    return _TYPE_NAMES.get(type(value), "unknown")


def _render(value):
    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else _type_name(value)


def _error_to_cause(error):
    field = ""
    for part in error.absolute_path:
        field = f"{field}[{part}]" if isinstance(part, int) else _join(field, part)
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = error.message.split("'")[1]
        return {"reason": "FieldValueRequired", "message": "Required value", "field": _join(field, missing)}
    if validator == "type":
        expected_name = expected if isinstance(expected, str) else expected[0]
        given = _type_name(instance)
        return {"reason": "FieldValueTypeInvalid", "field": field,
                "message": f'Invalid value: "{given}": {field} in body must be of type {expected_name}: "{given}"'}
    if validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in expected)
        return {"reason": "FieldValueNotSupported", "field": field,
                "message": f"Unsupported value: {_render(instance)}: supported values: {allowed}"}
    if validator == "anyOf" and isinstance(instance, (dict, list, bool, float)):
        return {"reason": "FieldValueTypeInvalid", "field": field,
                "message": f'Invalid value: "{_type_name(instance)}": {field} in body must be of type integer or string'}
    wording = {
        "minimum": f"should be greater than or equal to {expected}",
        "maximum": f"should be less than or equal to {expected}",
        "pattern": f"should match '{expected}'",
        "minLength": f"should be at least {expected} chars long",
        "maxLength": f"may not be longer than {expected}",
        "minItems": f"should have at least {expected} items",
        "maxItems": f"must have at most {expected} items",
    }.get(validator, error.message)
    return {"reason": "FieldValueInvalid", "field": field,
            "message": f"Invalid value: {_render(instance)}: {field} in body {wording}"}


class CompiledSchema:
    """A schema prepared once and reused for every write to the resource version it belongs to."""

    def __init__(self, schema):
        self.source = schema or {}
        self._validator = jsonschema.Draft7Validator(to_json_schema(self.source))

    def prune(self, obj):
        return prune(obj, self.source)

    def apply_defaults(self, obj):
        apply_defaults(obj, self.source)

    def causes(self, obj):
        """Validation failures as `details.causes` entries, in field order."""
        body = {k: v for k, v in obj.items() if k not in ROOT_FIELDS}
        errors = sorted(self._validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
        return [_error_to_cause(e) for e in errors]
