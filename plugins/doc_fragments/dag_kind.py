# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Paired with DAG_KIND_ARGS in plugins/module_utils/resources.py: change both together.
    DOCUMENTATION = r"""
options:
  api_kind:
    description:
      - The kind of DAG resource. C(auto) uses C(FailoverGroup) (current Arc releases) where the site serves it, else
        the retired C(Dag) (2022).
    type: str
    choices: [auto, FailoverGroup, Dag]
    default: auto
  api_version:
    description: Version of C(sql.arcdata.microsoft.com) to use; default is the most preferred that serves the kind.
    type: str
"""
