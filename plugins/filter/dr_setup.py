# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What dr_setup would still have to do for a DR pair, judged from the reports of its first check.

A pair whose instances are Ready with the requested spec, and whose DAG sides are Succeeded, connected and
pin what they should, needs no write: dr_setup then skips its convergence roles, each task of which would be
a module run that ends up changing nothing (a fleet's nightly re-run is mostly such pairs). Every doubt counts
as work to do: the judgement uses arc_sqlmi's own spec comparison, and the full run decides the rest."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# the site label and the integer reading of dr_site_problems, so that both filters word a site alike
from ansible_collections.arcdata.sqlmi.plugins.filter.dr import _as_int, _label, _pinned_and_current, dr_site_problems
from ansible_collections.arcdata.sqlmi.plugins.module_utils import dag_spec, sqlmi_spec

# requested arc_sqlmi options the inventory may give as text, which arc_sqlmi would receive as integers
INTEGER_OPTIONS = ("replicas", "readable_secondaries")


def _arc_sqlmi_options(site):
    """The options dr_site gives arc_sqlmi for this site's existing instance (no creation-time options)."""
    options = dict(site.get("requested_spec") or {}, name=site.get("instance_name"))
    for option in INTEGER_OPTIONS:
        if option in options:
            options[option] = _as_int(options[option])
    return options


def _instance_pending(site):
    instance = site.get("instance")
    if not instance:
        return ["%s: the instance does not exist" % _label(site)]
    if not instance.get("ready"):
        return ["%s: the instance is %s, not Ready for its generation" % (_label(site), instance.get("state"))]
    existing = {"spec": instance.get("spec") or {}}
    options = _arc_sqlmi_options(site)
    try:
        problems = sqlmi_spec.problems(options, existing)
        patch = None if problems else sqlmi_spec.spec_patch(sqlmi_spec.desired_spec(options, existing),
                                                            existing["spec"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # arc_sqlmi will say it better
        return ["%s: the requested spec could not be compared here (%s)" % (_label(site), exc)]
    if problems:
        return ["%s: the requested spec is refused by arc_sqlmi: %s" % (_label(site), "; ".join(problems))]
    if patch:
        return ["%s: the instance spec differs from the requested one in %s" % (_label(site), sorted(patch))]
    return []


def _dag_pending(site, partner):
    dag = site.get("dag")
    if not dag:
        return ["%s: the DAG resource %s does not exist" % (_label(site), site.get("dag_resource"))]
    found = []
    if not dag.get("linked"):  # Succeeded for its generation and connected (conditions.linked_for_its_generation)
        found.append("%s: the DAG side is %s, %s" % (_label(site), dag.get("state"),
                                                     "connected" if dag.get("connected") else "not connected"))
    partner_instance = partner.get("instance") or {}
    wanted = {
        "dag_name": site.get("dag_name"),
        "local_instance": site.get("instance_name"),
        "remote_instance": partner.get("instance_name"),
        "sync_mode": site.get("sync_mode") or "async",
        "remote_mirroring_url": partner_instance.get("mirroring_url"),
    }
    differs = sorted(set([field for field, value in wanted.items() if value is None]
                         + dag_spec.changed_fields(wanted, dag)))
    pinned, current = _pinned_and_current(site, [partner_instance])
    if not (pinned and current and pinned == current):
        differs.append("the partner certificate it pins")
    if differs:
        found.append("%s: the DAG resource %s differs in %s" % (_label(site), dag.get("name"), ", ".join(differs)))
    return found


def _certificate_pending(site, warn_days):
    if not site.get("instance"):
        return []
    certificate = site["instance"].get("certificate") or {}
    days = certificate.get("days_remaining")
    if days is None or days < warn_days:  # dr_certificates says so, with a warning
        return ["%s: its mirroring certificate expires in %s days (warning from %s)" % (_label(site), days, warn_days)]
    return []


# the convergence roles' own variables (their argument specs' names all start so), and among them those the first
# check applies itself (how long to wait, the certificate thresholds): a role variable added later is covered
ROLE_VARIABLE = re.compile(r"^dr_(site|certificates|dag)_")
JUDGED_HERE = re.compile(r"_(wait_timeout|min_days|warn_days)$")


def role_variables(names):
    """Of the variable names set for a pair's hosts, the convergence roles' own that may change what they write."""
    return sorted(set(n for n in names if ROLE_VARIABLE.match(n) and not JUDGED_HERE.search(n)))


def dr_setup_pending(sites, warn_days=30, overridden=(), variables=()):
    """What dr_setup would still do for the pair of these two site reports (dr_preflight_site), as reasons;
    an empty list when both sites are set up as asked and nothing would be written. `variables` are the names of
    the variables set for the pair's hosts (inventory and extra vars); among them the roles' own (dr_dag_remote_instance,
    say), like those given as `overridden`, may change what the roles write, which the reports cannot tell: the
    roles decide."""
    sites = list(sites)
    warn_days = int(warn_days)  # text when given as a variable templated on its own (ansible-core 2.16)
    if len(sites) != 2:
        return ["the pair has %d site reports, not 2" % len(sites)]
    found = ["%s is set for the pair: the roles decide what it changes" % name
             for name in sorted(set(overridden) | set(role_variables(variables)))]
    for site, partner in ((sites[0], sites[1]), (sites[1], sites[0])):
        if not site.get("reachable") or site.get("data_controller_problem"):
            found.append("%s: not readable or not writable" % _label(site))
            continue
        found += _instance_pending(site) + _certificate_pending(site, warn_days)
        found += _dag_pending(site, partner)
    # dr_dag's check refuses instances that differ from each other, even in what the inventory does not ask for
    return found + dr_site_problems(sites, checks=["parity"])


class FilterModule(object):
    def filters(self):
        return {"dr_setup_pending": dr_setup_pending}
