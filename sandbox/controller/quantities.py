"""Kubernetes resource quantities ("500m", "2", "4Gi") as numbers, for the instance checks."""
import re

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {None: 1, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2 ** 10, "Mi": 2 ** 20,
            "Gi": 2 ** 30, "Ti": 2 ** 40}


def parse(value):
    """The quantity's value in base units, or None if it is not a quantity."""
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * _FACTORS[match.group(2)]
