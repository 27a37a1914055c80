# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure options as modules merge them, their documentation, and direct mode's libraries being optional."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import yaml

from ansible_collections.arcdata.sqlmi.plugins.doc_fragments.azure import ModuleDocFragment
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_libraries import missing_azure_library
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_options import AZURE_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.connection import CONNECTION_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS

DIRECT_MODE_UTILS = ("azure_libraries", "azure_cloud", "azure_credentials", "azure_options", "arm_client",
                     "arm_resources")
# run in a fresh interpreter where every `azure` import fails, as on a controller without the Azure libraries
WITHOUT_AZURE = """
import sys

class NoAzure(object):
    def find_spec(self, name, path=None, target=None):
        if name == "azure" or name.startswith("azure."):
            raise ImportError("No module named %r" % name)

sys.meta_path.insert(0, NoAzure())
import importlib
for name in sys.argv[1:]:
    importlib.import_module("ansible_collections.arcdata.sqlmi.plugins.module_utils." + name)
from ansible_collections.arcdata.sqlmi.plugins.module_utils.azure_libraries import missing_azure_library
print(missing_azure_library()[0])
"""


def test_the_doc_fragment_documents_every_option_with_its_type_and_default():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(AZURE_ARGS)
    for name, spec in AZURE_ARGS.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("choices") == spec.get("choices"), name
    assert AZURE_ARGS["secret"]["no_log"] is True


def test_the_azure_options_merge_with_the_other_option_sets_without_a_clash():
    assert not set(AZURE_ARGS) & set(CONNECTION_ARGS)
    assert not set(AZURE_ARGS) & set(DAG_KIND_ARGS)


def test_missing_azure_library_names_the_first_missing_distribution():
    def importer(name):
        if name == "azure.mgmt.core":
            raise ImportError("No module named 'azure.mgmt'")
    assert missing_azure_library(importer)[0] == "azure-mgmt-core"
    assert missing_azure_library() is None


def test_direct_mode_utils_import_without_the_azure_libraries():
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.check_output([sys.executable, "-c", WITHOUT_AZURE] + list(DIRECT_MODE_UTILS),
                                     env=environment)
    assert output.decode().strip() == "azure-identity"
