# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two sites of a DR pair as read, and the rules judged on them, in one place: whether a site answers, whether
its DAG side is connected and healthy, which sites are primary. The failover module (failover_plan.py) and the
roles' pair checks (the dr_site_problems and dr_primaries filters) both judge with these."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PairSite(object):
    """One site of the pair as the failover read it. `dag` is the DAG resource's summary (dag_summary.py), None
    when it does not exist; `error` says why the site could not be read (then `reachable` is false)."""

    def __init__(self, name, instance=None, dag_resource=None, home_role=None, dag=None, error=None):
        self.name, self.instance, self.dag_resource, self.home_role = name, instance, dag_resource, home_role
        self.dag, self.error = dag, error

    @property
    def reachable(self):
        return self.error is None

    @property
    def role(self):
        """status.role as the controller reports it, compared without regard to case."""
        return str((self.dag or {}).get("role") or "").capitalize() or None

    @property
    def is_primary(self):
        return self.role == "Primary"

    @property
    def label(self):
        return "site %s (%s)" % (self.name, self.instance or (self.dag or {}).get("local_instance") or "?")

    def describe_role(self):
        if not self.reachable:
            return "%s does not answer" % self.label
        if self.dag is None:
            return "%s has no DAG resource %r" % (self.label, self.dag_resource)
        return "%s is %s" % (self.label, self.role or "not reporting a role")

    @classmethod
    def from_report(cls, report):
        """A PairSite from a role's site report (dr_preflight_site: site, reachable, error, instance_name,
        dag_resource, dag)."""
        error = None if report.get("reachable") else (report.get("error") or "unknown error")
        return cls(report.get("site"), report.get("instance_name"), report.get("dag_resource"),
                   dag=report.get("dag"), error=error)


def primaries(sites):
    return [s for s in sites if s.reachable and s.is_primary]


def reachability_problems(sites):
    return ["%s: the Kubernetes API could not be read: %s" % (s.label, s.error) for s in sites if not s.reachable]


def dag_problems(sites):
    """A site that answers without a DAG side, or whose side is not connected and healthy."""
    found = []
    for site in sites:
        if not site.reachable:
            continue
        if site.dag is None:
            found.append("%s: it has no DAG resource %r (arc_dag_resource in the inventory, sites[].dag_resource of "
                         "the failover module; dr_setup creates it)" % (site.label, site.dag_resource))
        elif site.dag.get("connected") is False or _unhealthy(site.dag.get("health")):
            found.append("%s: DAG resource %s is not connected and healthy (state %s, health %s: %s)" % (
                site.label, site.dag.get("name"), site.dag.get("state"), site.dag.get("health"),
                site.dag.get("message") or site.dag.get("status_results") or "no results"))
    return found


def _unhealthy(health):
    """A healthState that is reported and is not OK (controllers that do not report it leave it unknown)."""
    return health is not None and str(health).upper() not in ("OK", "HEALTHY")


def link_unknown(sites):
    """The sites whose controller reports neither the link (status.replicas) nor its health: the failover goes on
    (the controller refuses a planned switch it cannot make without loss), and says that it could not check."""
    return ["%s: DAG resource %s reports no status.replicas or healthState, so the link could not be checked before "
            "the switch; the controller's own check decides" % (s.label, s.dag.get("name"))
            for s in sites if s.reachable and s.dag is not None and s.dag.get("connected") is None]


def health_problems(sites):
    """Why a planned switch is not safe: a site that does not answer, a missing DAG side, a side not connected
    and healthy, not exactly one primary."""
    found = reachability_problems(sites) + dag_problems(sites)
    if all(s.reachable and s.dag is not None for s in sites):
        found += primary_count_problems(sites)
    return found


def primary_count_problems(sites):
    found = primaries(sites)
    if len(found) == 1:
        return []
    roles = ", ".join(s.describe_role() for s in sites)
    if not found:
        return ["no site is primary (%s)" % roles]
    return ["%d sites are primary (split brain): %s" % (len(found), roles)]
