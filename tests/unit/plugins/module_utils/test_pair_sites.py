# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a pair site's DAG side says about the link, on controllers that report it and on those that do not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.arcdata.sqlmi.plugins.module_utils import pair_sites


def test_a_link_the_controller_does_not_report_is_no_problem_but_is_said_to_be_unchecked():
    quiet = pair_sites.PairSite("dub", dag={"name": "dag-dub", "role": "Secondary", "state": "Succeeded",
                                            "connected": None, "health": None})
    assert pair_sites.dag_problems([quiet]) == []
    assert "reports no status.replicas or healthState" in pair_sites.link_unknown([quiet])[0]
    down = pair_sites.PairSite("dub", dag={"name": "dag-dub", "role": "Secondary", "state": "Succeeded",
                                           "connected": False, "health": "Error", "message": "partner gone"})
    assert "partner gone" in pair_sites.dag_problems([down])[0] and pair_sites.link_unknown([down]) == []
