"""The protobuf bodies client-go's typed clients send for built-in kinds.

`kubectl create namespace|secret|configmap` sends `application/vnd.kubernetes.protobuf`: the
"k8s\\0" envelope around a runtime.Unknown, whose `raw` is the object. There are no generated
Python classes for Kubernetes' protobuf messages, so this decodes the wire format directly for
the few kinds kubectl creates that way; everything else gets the 415 a server without a protobuf
form of the kind gives (custom resources have none).
"""
import base64

from . import errors

PROTOBUF = "application/vnd.kubernetes.protobuf"
_PROTOBUF_MAGIC = b"k8s\x00"

# Field numbers are those of k8s.io/api generated.proto; fields the server sets itself (timestamps,
# managedFields) are skipped.
_OBJECT_META = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                5: ("uid", "string"), 6: ("resourceVersion", "string"), 7: ("generation", "int"),
                10: ("deletionGracePeriodSeconds", "int"), 11: ("labels", "string_map"),
                12: ("annotations", "string_map"), 14: ("finalizers", "strings"),
                13: ("ownerReferences", [{1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
                                          5: ("apiVersion", "string"), 6: ("controller", "bool"),
                                          7: ("blockOwnerDeletion", "bool")}])}
_PROTOBUF_KINDS = {
    ("v1", "ConfigMap"): {1: ("metadata", _OBJECT_META), 2: ("data", "string_map"), 3: ("binaryData", "bytes_map"),
                          4: ("immutable", "bool")},
    ("v1", "Secret"): {1: ("metadata", _OBJECT_META), 2: ("data", "bytes_map"), 3: ("type", "string"),
                       4: ("stringData", "string_map"), 5: ("immutable", "bool")},
    ("v1", "Namespace"): {1: ("metadata", _OBJECT_META), 2: ("spec", {1: ("finalizers", "strings")})},
}
_UNKNOWN = {1: ("typeMeta", {1: ("apiVersion", "string"), 2: ("kind", "string")}), 2: ("raw", "raw")}


def decode_object(raw, accepted):
    """The object of a protobuf body; 415 for kinds without a protobuf form here (custom resources have none)."""
    try:
        if not raw.startswith(_PROTOBUF_MAGIC):
            raise ValueError("the body does not start with the protobuf envelope")
        envelope = _message(raw[len(_PROTOBUF_MAGIC):], _UNKNOWN)
        type_meta = envelope.get("typeMeta") or {}
        schema = _PROTOBUF_KINDS.get((type_meta.get("apiVersion"), type_meta.get("kind")))
        if schema is None:
            raise errors.unsupported_media_type(PROTOBUF, list(accepted))
        return {"apiVersion": type_meta["apiVersion"], "kind": type_meta["kind"],
                **_message(envelope.get("raw", b""), schema)}
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        raise errors.bad_request(f"couldn't decode the protobuf body: {_first_line(exc)}")


def _protobuf_fields(data):
    """(field number, value) of each field of one protobuf message: an int or the bytes of a length-delimited field."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            value, position = data[position:position + length], position + length
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            value, position = data[position:position + size], position + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        if position > len(data):
            raise ValueError("truncated protobuf message")
        yield number, value


def _varint(data, position):
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _message(data, schema):
    """A protobuf message as its JSON form; zero values are left out, as Go's `omitempty` leaves them out."""
    obj = {}
    for number, value in _protobuf_fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind in ("string_map", "bytes_map"):
            entry = dict(_protobuf_fields(value))
            item = entry.get(2, b"")
            obj.setdefault(name, {})[entry.get(1, b"").decode()] = (
                item.decode() if kind == "string_map" else base64.b64encode(item).decode())
        elif kind == "strings":
            obj.setdefault(name, []).append(value.decode())
        elif isinstance(kind, list):
            obj.setdefault(name, []).append(_message(value, kind[0]))
        else:
            value = _scalar(value, kind)
            if value:
                obj[name] = value
    return obj


def _scalar(value, kind):
    if kind == "string":
        return value.decode()
    if kind == "int":
        return value - (1 << 64) if value >= 1 << 63 else value  # int64 in two's complement
    if kind == "bool":
        return bool(value)
    if kind == "raw":
        return value
    return _message(value, kind)


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
