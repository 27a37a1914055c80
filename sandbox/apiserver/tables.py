"""Server-side `meta.k8s.io/v1` Table output: what `kubectl get` prints.

Custom resources get the columns of their CRD's `additionalPrinterColumns` (NAME first, then
the declared ones; `date` columns rendered as ages, as the real table convertor does); built-ins
get the columns their behaviour declares.
"""
import json
import re

from .clock import age

TABLE_MEDIA = re.compile(r"as=Table", re.IGNORECASE)
_DEFAULT_CR_COLUMNS = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]


def wants_table(accept_header):
    return bool(accept_header and TABLE_MEDIA.search(accept_header))


def _json_path(obj, path):
    """The subset of JSONPath printer columns use: `.a.b.c` and `.a[0].b`."""
    value = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and len(value) > index else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _custom_columns(rtype, version):
    declared = rtype.printer_columns.get(version)
    columns = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace.", "getter": lambda o: o["metadata"]["name"]}]
    for spec in declared if declared is not None else _DEFAULT_CR_COLUMNS:
        columns.append({"name": spec["name"], "type": spec.get("type", "string"), "format": spec.get("format", ""),
                        "priority": spec.get("priority", 0), "description": spec.get("description", spec["name"]),
                        "getter": _cell_getter(spec)})
    return columns


def _cell_getter(spec):
    path, kind = spec["jsonPath"], spec.get("type", "string")

    def getter(obj):
        value = _json_path(obj, path)
        if kind == "date":
            return age(value) if value else "<unknown>"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return value
    return getter


def _partial_metadata(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def to_table(rtype, version, objects, list_metadata, include_object="Metadata"):
    columns = _custom_columns(rtype, version) if rtype.custom else rtype.behaviour.columns()
    rows = []
    for obj in objects:
        row = {"cells": [column["getter"](obj) for column in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": [{k: v for k, v in c.items() if k != "getter"} for c in columns],
        "rows": rows,
    }
