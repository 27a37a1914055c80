"""Label and field selectors, with the server's syntax and its answers to bad ones."""
import re

from . import errors

_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQUALITY = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")

# Field selectors each kind supports beyond metadata.name and metadata.namespace.
EXTRA_FIELDS = {
    "events": ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
               "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
               "reason", "reportingComponent", "source", "type"],
    "secrets": ["type"],
    "namespaces": ["status.phase"],
}


def _split_top_level(text):
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_label_selector(text):
    """A predicate over a labels dict; raises 400 BadRequest for a malformed selector."""
    requirements = []
    for part in _split_top_level(text or ""):
        if match := _SET_REQUIREMENT.match(part):
            key, operator, values = match.groups()
            allowed = {v.strip() for v in values.split(",") if v.strip()}
            requirements.append(_set_requirement(key, operator, allowed))
        elif match := _EQUALITY.match(part):
            key, operator, value = match.groups()
            requirements.append(_equality_requirement(key, operator, value))
        elif match := _EXISTS.match(part):
            negated, key = match.groups()
            requirements.append(_exists_requirement(key, bool(negated)))
        else:
            raise errors.bad_request(f"unable to parse requirement: found '{part.strip()}', expected: in, notin, "
                                     "=, ==, !=, gt, lt")
    return lambda labels: all(req(labels or {}) for req in requirements)


def _exists_requirement(key, negated):
    return lambda labels: (key in labels) != negated


def _set_requirement(key, operator, allowed):
    if operator == "in":
        return lambda labels: labels.get(key) in allowed
    return lambda labels: labels.get(key) not in allowed


def _equality_requirement(key, operator, value):
    if operator == "!=":
        return lambda labels: labels.get(key) != value
    return lambda labels: labels.get(key) == value


def _field_value(obj, path):
    value = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def parse_field_selector(text, plural):
    """A predicate over whole objects; unsupported fields get the server's 400."""
    supported = ["metadata.name", "metadata.namespace"] + EXTRA_FIELDS.get(plural, [])
    requirements = []
    for part in _split_top_level(text or ""):
        match = _EQUALITY.match(part)
        if not match:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{part.strip()}'")
        field, operator, value = match.groups()
        if field not in supported:
            raise errors.bad_request(f'field label not supported: {field}')
        requirements.append((field, operator != "!=", value))
    return lambda obj: all((_field_value(obj, f) == v) == equal for f, equal, v in requirements)
