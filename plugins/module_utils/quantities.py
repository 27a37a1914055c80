# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes resource quantities ("500m", "2", "4Gi"): parse, compare, check."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")
_FACTORS = {None: 1, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "Ki": 2 ** 10,
            "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50}


def parse(value):
    """The quantity in base units (cores, bytes), or None when `value` is not a quantity."""
    match = _QUANTITY.match(str(value).strip()) if value is not None else None
    if not match:
        return None
    return float(match.group(1)) * _FACTORS[match.group(2)]


def same(left, right):
    """True when both are the same quantity however written ("4Gi" and "4096Mi")."""
    if left is None or right is None:
        return left is right
    parsed_left, parsed_right = parse(left), parse(right)
    if parsed_left is None or parsed_right is None:
        return str(left) == str(right)
    return abs(parsed_left - parsed_right) < 1e-9
