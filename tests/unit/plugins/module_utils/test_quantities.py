# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import quantities


@pytest.mark.parametrize("value, expected", [
    ("2", 2), (2, 2), ("500m", 0.5), ("1.5", 1.5), (" 4 ", 4),
    ("4Gi", 4 * 2 ** 30), ("4096Mi", 4 * 2 ** 30), ("1Ki", 1024), ("1Ti", 2 ** 40),
    ("5G", 5e9), ("1k", 1000), ("3M", 3e6),
])
def test_parse_gives_base_units(value, expected):
    assert quantities.parse(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "abc", "4GB", "4 Gi", "-1", "Gi", "1.2.3", "4gi"])
def test_parse_refuses_what_is_not_a_quantity(value):
    assert quantities.parse(value) is None


@pytest.mark.parametrize("left, right", [("4Gi", "4096Mi"), ("1", "1000m"), ("2", 2), ("5Gi", "5Gi"), (None, None),
                                         ("fast", "fast")])
def test_same_quantity_however_written(left, right):
    assert quantities.same(left, right)
    assert quantities.same(*reversed((left, right)))


@pytest.mark.parametrize("left, right", [("4Gi", "4G"), ("1", "999m"), ("4Gi", None), (None, "4Gi"), ("a", "b")])
def test_different_quantities(left, right):
    assert not quantities.same(left, right)
    assert not quantities.same(*reversed((left, right)))
