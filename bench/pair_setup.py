"""DR pairs for the bench, made with the collection itself: `dr_setup` on a sandbox inventory, or, where a
measurement needs to time one step on its own, the seed's steps as single tasks of a play over the sandbox
inventory's two hosts (primary and secondary, which are also the site names).

A pair's names live in a play variable (a Pair's `as_var()`), and each task picks this host's name from it, so one
task runs the step on both sites at once, as Ansible's forks would for a user."""
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.playbook_runner import run_playbook

SITES = ("primary", "secondary")
# a bench run fails in minutes rather than after the modules' 10-minute default
WAIT_TIMEOUT = 120
# the other host of the pair, as a Jinja expression
PARTNER = "('secondary' if inventory_hostname == 'primary' else 'primary')"


def dr_setup(sandbox, pairs=1):
    """An inventory of `pairs` DR pairs, set up with the dr_setup playbook; returns the inventory path."""
    inventory = sandbox.inventory(pairs)
    run_playbook("arcdata.sqlmi.dr_setup", inventory).check()
    return inventory


@dataclass
class Pair:
    """The names of one DR pair of the bench's own: an instance and a DAG resource per site, and the DAG name."""
    label: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])

    @property
    def instances(self):
        return {site: "bench%s%s-%s" % (self.label, site[:3], self.tag) for site in SITES}

    @property
    def dags(self):
        return {site: "dag%s%s-%s" % (self.label, site[:3], self.tag) for site in SITES}

    @property
    def dag_name(self):
        return "dag%s-%s" % (self.label, self.tag)

    def as_var(self):
        return {"instances": self.instances, "dags": self.dags, "dag_name": self.dag_name}


def instance_task(name, pair_var, wait=True, register=None):
    """The seed's steps 1 and 2 on this host: its instance of the pair, the DR licence on the secondary site."""
    task = {"name": name, "arcdata.sqlmi.arc_sqlmi": {
        "name": "{{ %s.instances[inventory_hostname] }}" % pair_var, "tier": "bc", "replicas": 3,
        "disaster_recovery_site": "{{ inventory_hostname == 'secondary' }}",
        "admin_username": "{{ arc_admin_username }}", "admin_password": "{{ arc_admin_password }}", "wait": wait,
        "wait_timeout": WAIT_TIMEOUT}}
    return _registered(task, register)


def certificate_task(name, pair_var, register):
    """The seed's step 3 on this host: its instance's mirroring certificate and URL, for the partner's DAG half."""
    return {"name": name, "arcdata.sqlmi.arc_mirroring_cert": {"name": "{{ %s.instances[inventory_hostname] }}"
                                                                       % pair_var}, "register": register}


def dag_half_task(name, pair_var, certificates, wait=True, register=None):
    """The seed's step 4 on this host: its half of the DAG, pinning the partner's certificate that
    certificate_task registered as `certificates` on the partner host."""
    partner = "hostvars[%s]" % PARTNER
    task = {"name": name, "arcdata.sqlmi.arc_dag": {
        "name": "{{ %s.dags[inventory_hostname] }}" % pair_var, "dag_name": "{{ %s.dag_name }}" % pair_var,
        "local_instance": "{{ %s.instances[inventory_hostname] }}" % pair_var,
        "remote_instance": "{{ %s.instances[%s] }}" % (pair_var, PARTNER),
        "remote_mirroring_url": "{{ %s.%s.mirroring_url }}" % (partner, certificates),
        "remote_mirroring_cert": "{{ %s.%s.certificate }}" % (partner, certificates),
        # the sandbox inventory's hosts are named after the role their site starts with
        "role": "{{ inventory_hostname }}", "wait": wait, "wait_timeout": WAIT_TIMEOUT}}
    return _registered(task, register)


def _registered(task, register):
    if register:
        task["register"] = register
    return task


def inventory_hosts(inventory):
    """{host: its variables, with its pair group's} of a sandbox inventory file."""
    hosts = {}
    for group in yaml.safe_load(Path(inventory).read_text())["all"]["children"]["arc_dr_pairs"]["children"].values():
        for host, host_vars in group["hosts"].items():
            hosts[host] = dict(group.get("vars") or {}, **host_vars)
    return hosts
