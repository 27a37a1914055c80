# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the Azure libraries that direct mode needs can be imported.

Indirect mode (the Kubernetes API) must keep working on a controller without them, so nothing in the
collection imports them unguarded; a module that is asked for direct mode calls `missing_azure_library()`
and reports the answer with missing_required_lib.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# (distribution name, module to import), in the order they are reported: azure-identity pulls in azure-core
REQUIRED = (
    ("azure-identity", "azure.identity"),
    ("azure-core", "azure.core"),
    ("azure-mgmt-core", "azure.mgmt.core"),
)


def missing_azure_library(importer=None):
    """None when every library imports, else (distribution name, ImportError) of the first that does not."""
    importer = importer or __import__
    for distribution, module in REQUIRED:
        try:
            importer(module)
        except ImportError as exc:
            return distribution, exc
    return None
