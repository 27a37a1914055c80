# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the DR roles use to judge a pair from what both sites report (pure functions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.arcdata.sqlmi.plugins.module_utils import handover, quantities, sqlmi_spec
from ansible_collections.arcdata.sqlmi.plugins.module_utils.site_placement import shared_place_problems
from ansible_collections.arcdata.sqlmi.plugins.module_utils.pair_sites import (
    PairSite, dag_problems, primaries, primary_count_problems, reachability_problems)

CHECKS = ("reachable", "names", "distinct", "plan", "parity", "certificates", "pinned", "single_primary", "connected")
# what the two sites must agree on: (label, the arc_sqlmi option that asks for it, its path in the instance spec,
# how to compare); the requested options are compared before anything is written, the instances' specs after
PARITY = [
    ("tier", "tier", ("tier",), "tier"),
    ("replicas", "replicas", ("replicas",), "value"),
    ("cores request", "cores_request", ("scheduling", "default", "resources", "requests", "cpu"), "quantity"),
    ("cores limit", "cores_limit", ("scheduling", "default", "resources", "limits", "cpu"), "quantity"),
    ("memory request", "memory_request", ("scheduling", "default", "resources", "requests", "memory"), "quantity"),
    ("memory limit", "memory_limit", ("scheduling", "default", "resources", "limits", "memory"), "quantity"),
    ("data volume size", "volume_size_data", ("storage", "data", "volumes", 0, "size"), "quantity"),
    ("logs volume size", "volume_size_logs", ("storage", "logs", "volumes", 0, "size"), "quantity"),
    ("datalogs volume size", "volume_size_datalogs", ("storage", "datalogs", "volumes", 0, "size"), "quantity"),
    ("backups volume size", "volume_size_backups", ("storage", "backups", "volumes", 0, "size"), "quantity"),
    ("collation", "collation", ("settings", "collation"), "value"),
]
INITIAL_ROLES = ["primary", "secondary"]


def _get(spec, path):
    value = spec
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and len(value) > part else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _same(how, left, right):
    if how == "tier":
        return sqlmi_spec.canonical_tier(left or "GeneralPurpose") == sqlmi_spec.canonical_tier(right or "GeneralPurpose")
    if how == "quantity":
        return quantities.same(left, right)
    return left == right


def _label(site):
    return "site %s (%s)" % (site.get("site"), site.get("instance_name"))


def _reachability(sites):
    found = reachability_problems([PairSite.from_report(s) for s in sites])
    for site in sites:
        if site.get("reachable") and site.get("data_controller_problem"):  # the writing modules would refuse it
            found.append("%s: %s" % (_label(site), site["data_controller_problem"]))
    return found


def _gone(hosts):
    return ["site %s stopped earlier in this run (its error is above): nothing is written to a pair while one of its "
            "sites is missing" % host for host in hosts]


def _names(first, second):
    found = []
    if first.get("instance_name") == second.get("instance_name"):
        found.append("site %s and site %s both name their instance %r: the two instances must have different "
                     "names" % (first.get("site"), second.get("site"), first.get("instance_name")))
    if first.get("dag_name") != second.get("dag_name"):
        found.append("the DAG name differs: %s uses %r, %s uses %r; it must be the same on both sites" % (
            _label(first), first.get("dag_name"), _label(second), second.get("dag_name")))
    return found


def _distinct(first, second):
    """Two sites of a pair in one place (a custom location or kubeconfig copied from the other site)."""
    return shared_place_problems(("site %s" % first.get("site"), first.get("placement")),
                                 ("site %s" % second.get("site"), second.get("placement")))


def _as_int(value):
    return int(value) if str(value).strip().isdigit() else value


def _requested(site):
    """The site's requested arc_sqlmi options, with tier and replicas resolved the way arc_sqlmi resolves them
    (bc alone means 3 replicas, replicas 2 or 3 alone mean bc)."""
    spec = dict(site.get("requested_spec") or {})
    replicas = _as_int(spec.get("replicas"))
    if spec.get("tier") is None or sqlmi_spec.canonical_tier(spec["tier"]):
        if replicas is None or isinstance(replicas, int):
            spec["tier"], spec["replicas"] = sqlmi_spec.resolve_tier_and_replicas(
                {"tier": spec.get("tier"), "replicas": replicas})
    return spec


def _shown(option, value):
    return "no %s" % option if value is None else "%s=%s" % (option, value)


def _plan(first, second):
    """What the two sites are asked to become: one primary and one secondary, one sync mode, identical compute,
    capacity and tier; all known before anything is written."""
    found = []
    roles = [s.get("initial_role") for s in (first, second)]
    if None not in roles and sorted(roles) != INITIAL_ROLES:
        found.append("%s and %s both have initial role %r (arc_initial_role): one site of a pair must be primary and "
                     "the other secondary" % (_label(first), _label(second), roles[0]))
    modes = [s.get("sync_mode") for s in (first, second)]
    if None not in modes and modes[0] != modes[1]:
        found.append("sync mode (arc_sync_mode) differs: %s has %r, %s has %r; both sides of a DAG commit the same "
                     "way (async or sync)" % (_label(first), modes[0], _label(second), modes[1]))
    mine, theirs = _requested(first), _requested(second)
    for label, option, unused, how in PARITY:
        if not _same(how, mine.get(option), theirs.get(option)):
            found.append("%s differs: %s asks for %s, %s asks for %s (arc_instance_spec; both sites must be identical "
                         "in compute, capacity and tier)" % (label, _label(first), _shown(option, mine.get(option)),
                                                             _label(second), _shown(option, theirs.get(option))))
    return found


def _parity(first, second):
    if not (first.get("instance") and second.get("instance")):
        return []
    found = []
    left, right = first["instance"].get("spec") or {}, second["instance"].get("spec") or {}
    for label, unused, path, how in PARITY:
        mine, theirs = _get(left, path), _get(right, path)
        if not _same(how, mine, theirs):
            found.append("%s differs: %s has %s, %s has %s (both sites must be identical in compute, capacity "
                         "and tier)" % (label, _label(first), mine, _label(second), theirs))
    return found


def _certificates(sites, min_days):
    found = []
    for site in sites:
        cert = (site.get("instance") or {}).get("certificate")
        if not cert:
            continue
        if cert.get("error"):
            found.append("%s: its mirroring certificate is unusable: %s" % (_label(site), cert["error"]))
        elif cert.get("days_remaining", 0) < 0:  # the same words whatever the minimum, so that lists can be compared
            found.append("%s: its mirroring certificate expired on %s: every new mirroring connection is refused" % (
                _label(site), cert.get("not_after")))
        elif cert.get("days_remaining", 0) < min_days:
            found.append("%s: its mirroring certificate expires on %s, in %s days (fewer than %s)" % (
                _label(site), cert.get("not_after"), cert.get("days_remaining"), min_days))
    return found


def _pinned_and_current(site, instances):
    """The fingerprint of the partner certificate this site's DAG resource pins, and that of the certificate its
    partner instance presents now (either None when unknown)."""
    dag = site.get("dag") or {}
    partner = next((i for i in instances if i and i.get("name") == dag.get("remote_instance")), None)
    pinned = (dag.get("partner_certificate") or {}).get("fingerprint_sha256")
    current = ((partner or {}).get("certificate") or {}).get("fingerprint_sha256")
    return pinned, current


def _pinned(sites):
    """A DAG side that pins another certificate than its partner's current one: the partner's certificate was
    rotated (or the wrong one was pinned), and the link cannot connect until the new one is pinned."""
    instances = [s.get("instance") for s in sites]
    found = []
    for site in sites:
        pinned, current = _pinned_and_current(site, instances)
        if pinned and current and pinned != current:
            dag = site["dag"]
            found.append("%s: DAG resource %s pins a certificate of partner instance %s (SHA-256 %s) that is not the "
                         "one it presents now (%s): the partner's certificate was rotated; run dr_setup to pin the "
                         "new one" % (_label(site), dag.get("name"), dag.get("remote_instance"), pinned, current))
    return found


def dr_primaries(sites):
    """The names of the sites whose DAG resource reports status.role Primary."""
    return [s.name for s in primaries([PairSite.from_report(site) for site in sites])]


def _single_primary(sites):
    if not all(s.get("dag") for s in sites):
        return []
    return primary_count_problems([PairSite.from_report(s) for s in sites])


def _connected(sites):
    return dag_problems([PairSite.from_report(s) for s in sites])


def dr_site_problems(sites, checks=CHECKS, min_cert_days=0, gone=()):
    """Every problem of a DR pair, from both sites' reports; each names the site, the field and both values.
    `gone` are the pair's hosts that failed earlier in the run and have no current report."""
    sites = list(sites)
    unknown = set(checks) - set(CHECKS)
    if unknown:
        raise ValueError("unknown checks %s; known: %s" % (sorted(unknown), ", ".join(CHECKS)))
    # a role variable templated on its own is text on ansible-core 2.16 ("7"): compared as the number it stands for
    min_cert_days = int(min_cert_days)
    found = _gone(gone)
    if "reachable" in checks:
        found += _reachability(sites)
    if len(sites) == 2:
        if "names" in checks:
            found += _names(*sites)
        if "distinct" in checks:
            found += _distinct(*sites)
        if "plan" in checks:
            found += _plan(*sites)
        if "parity" in checks:
            found += _parity(*sites)
    if "certificates" in checks:
        found += _certificates(sites, min_cert_days)
    if "pinned" in checks:
        found += _pinned(sites)
    if "single_primary" in checks:
        found += _single_primary(sites)
    if "connected" in checks:
        found += _connected(sites)
    return found


def dr_latest_handover(sites):
    """The most recent handover record on either site's DAG resource, or None."""
    return handover.latest([(s.get("dag") or {}).get("handover") for s in sites])


def dr_site_summary(site, instances=()):
    """One site's line of a status report. `instances` are both sites' instance summaries, to tell whether
    the partner certificate this site pins is the partner instance's current one."""
    dag = site.get("dag") or {}
    instance = site.get("instance") or {}
    certificate = instance.get("certificate") or {}
    pinned, current = _pinned_and_current(site, instances)
    replicas = dag.get("replicas") or []
    return {
        "site": site.get("site"),
        "instance": site.get("instance_name"),
        "reachable": bool(site.get("reachable")),
        "error": site.get("error"),
        "instance_state": instance.get("state"),
        "role": dag.get("role"),
        "spec_role": dag.get("spec_role"),
        "state": dag.get("state"),
        "health": dag.get("health"),
        "results": dag.get("status_results"),
        "connected": bool(dag.get("connected")),
        "synchronization": sorted(set(r.get("synchronizationState") for r in replicas if r.get("synchronizationState"))),
        "sync_mode": dag.get("sync_mode"),
        "certificate_not_after": certificate.get("not_after"),
        "certificate_days_remaining": certificate.get("days_remaining"),
        "certificate_fingerprint_sha256": certificate.get("fingerprint_sha256"),
        "pinned_partner_certificate_sha256": pinned,
        "pinned_partner_certificate_current": None if not (pinned and current) else pinned == current,
        "handover": dag.get("handover"),
    }


class FilterModule(object):
    def filters(self):
        return {"dr_site_problems": dr_site_problems, "dr_primaries": dr_primaries,
                "dr_latest_handover": dr_latest_handover, "dr_site_summary": dr_site_summary}
