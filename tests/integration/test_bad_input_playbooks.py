"""Issue 6, item 2, the playbook half of the bad-input matrix (the module half is test_bad_input.py): bad
inventories given to the collection's playbooks, as users write them (docs/inventory.md), must stop the run with a
message naming the variable or field, the bad value (never a secret) and what is allowed, before a single write
request of the collection reaches either site, dry runs included.

To keep the file fast, cases share runs: the cases on pairs that do not exist yet are the pairs of ONE fleet
inventory given to ONE dr_setup run (a pair's failure does not stop the others'), and the cases that need a pair
that is set up share a module-scoped fixture that sets two pairs up once. A run's writes are counted over the whole
run: one write by any of its cases fails all of them, and the list names the object.
"""
import copy
import time
import uuid

import pytest
import yaml

from .conftest import HOSTS, Ansible
from .dr_playbooks import PlaybookPairs, audit_marks, collection_since, instance_object

DR_SETUP = "arcdata.sqlmi.dr_setup"
FAILOVER_PLANNED = "arcdata.sqlmi.failover_planned"
FAILOVER_FORCED = "arcdata.sqlmi.failover_forced"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
NO_WRITES = {"primary": [], "secondary": []}
WEAK_PASSWORD = "weakpass77"
OTHER_COLLATION = "Latin1_General_100_CI_AS"
# the run's own forks: the fleet of bad pairs has two hosts per case
ENV = {"ANSIBLE_FORKS": "10"}
# a shared run is set up inside the first test that uses it: room for a loaded machine beyond pytest.ini's 300 s
pytestmark = pytest.mark.timeout(600)


def _host(pair, site):
    return pair.hosts[site]


def _site_label(pair, site, instance=None):
    """How dr_site_problems names a site: 'site <inventory host> (<instance>)'."""
    return "site %s (%s)" % (pair.hosts[site], instance or pair.instances[site])


# -- how each case spoils a pair -----------------------------------------------------------------------------------
# mutate(pair, bad) sets pair.host_vars[site][...] or bad.group_vars[...]; `bad` also carries the broken
# kubeconfigs. fragments(pair, bad) are what the failed tasks' messages of the pair must contain.

def _on_secondary(**host_vars):
    def mutate(pair, bad):
        pair.host_vars["secondary"].update(dict((k, bad.value(v)) for k, v in host_vars.items()))
    return mutate


def _spec_on_secondary(**options):
    def mutate(pair, bad):
        pair.host_vars["secondary"]["arc_instance_spec"] = dict(pair.spec, **options)
    return mutate


def _group(**group_vars):
    def mutate(pair, bad):
        bad.group_vars[pair.group] = group_vars
    return mutate


def _group_spec(**options):
    def mutate(pair, bad):
        bad.group_vars[pair.group] = {"arc_instance_spec": dict(pair.spec, **options)}
    return mutate


def _secondary_on_the_primary_site(pair, bad):
    """The secondary's kubeconfig, context and namespace copied from the primary: one site twice."""
    pair.host_vars["secondary"].update(pair.connection["primary"])


def _parity_fragments(label, option, theirs):
    """What a parity case's message says: the secondary asks for `theirs` where the primary asks for the pair's
    spec."""
    def fragments(pair, bad):
        mine = pair.spec.get(option)
        return ["%s differs" % label, _site_label(pair, "primary"), _site_label(pair, "secondary"),
                "no %s" % option if mine is None else "%s=%s" % (option, mine), "%s=%s" % (option, theirs),
                "both sites must be identical in compute, capacity and tier"]
    return fragments


FRESH_CASES = [
    ("dag-name-mismatch", _on_secondary(arc_dag_name="@other-dag-name"),
     lambda p, b: ["the DAG name differs", repr(p.dag_name), repr(p.dag_name + "-typo"), "same on both sites"], []),
    ("identical-instance-names", _on_secondary(arc_instance="@primary-instance"),
     lambda p, b: ["both name their instance %r" % p.instances["primary"], "must have different names"], []),
    ("two-initial-primaries", _on_secondary(arc_initial_role="primary"),
     lambda p, b: ["both have initial role 'primary'", "arc_initial_role",
                   "one site of a pair must be primary and the other secondary"], []),
    ("unknown-initial-role", _on_secondary(arc_initial_role="leader"),
     lambda p, b: ["dr_preflight_initial_role must be one of: primary, secondary, got: leader",
                   "site %s stopped earlier in this run" % _host(p, "secondary")], []),
    ("sync-mode-typo", _group(arc_sync_mode="asynch"),
     lambda p, b: ["dr_preflight_sync_mode must be one of: async, sync, got: asynch"], []),
    ("sync-mode-mismatch", _on_secondary(arc_sync_mode="sync"),
     lambda p, b: ["sync mode (arc_sync_mode) differs", "%s has 'async'" % _site_label(p, "primary"),
                   "%s has 'sync'" % _site_label(p, "secondary"), "async or sync"], []),
    ("tier-parity", _spec_on_secondary(tier="GeneralPurpose"),
     lambda p, b: ["tier differs", _site_label(p, "primary"), "tier=BusinessCritical", _site_label(p, "secondary"),
                   "tier=GeneralPurpose", "identical in compute, capacity and tier"], []),
    ("replicas-parity", _spec_on_secondary(replicas=2), _parity_fragments("replicas", "replicas", 2), []),
    ("cores-parity", _spec_on_secondary(cores_limit="4"), _parity_fragments("cores limit", "cores_limit", "4"), []),
    ("memory-parity", _spec_on_secondary(memory_request="3Gi"),
     _parity_fragments("memory request", "memory_request", "3Gi"), []),
    ("storage-size-parity", _spec_on_secondary(volume_size_data="10Gi"),
     _parity_fragments("data volume size", "volume_size_data", "10Gi"), []),
    ("collation-parity", _spec_on_secondary(collation=OTHER_COLLATION),
     _parity_fragments("collation", "collation", OTHER_COLLATION), []),
    ("unknown-instance-spec-option", _group_spec(memory_limt="8Gi"),
     lambda p, b: ["dr_preflight_spec.memory_limt", "Supported parameters include", "memory_limit"], []),
    ("licence-in-instance-spec", _group_spec(license_type="BasePrice"),
     lambda p, b: ["dr_preflight_spec.license_type", "Supported parameters include", "tier"], []),
    ("replicas-not-an-integer", _group_spec(replicas="three"),
     lambda p, b: ["argument 'replicas'", "dr_preflight_spec", "'three'", "cannot be converted to an int"], []),
    ("tier-typo", _group_spec(tier="hyperscale"),
     lambda p, b: ["value of tier must be one of: gp, bc, GeneralPurpose, BusinessCritical, got: hyperscale",
                   "dr_preflight_spec"], []),
    ("cores-request-zero", _group_spec(cores_request="0"),
     lambda p, b: ["cores_request='0' must be a whole number of at least 1"], []),
    ("storage-size-not-a-quantity", _group_spec(volume_size_logs="lots"),
     lambda p, b: ["volume_size_logs='lots' is not a Kubernetes quantity such as '5Gi'"], []),
    ("admin-username-sa", _group(arc_admin_username="sa"),
     lambda p, b: ["admin_username must be set and must not be 'sa'"], []),
    ("weak-admin-password", _group(arc_admin_password=WEAK_PASSWORD),
     lambda p, b: ["admin_password must have at least 8 characters from 3 of", "its value is not shown"],
     [WEAK_PASSWORD]),
    ("kubeconfig-not-yaml", _on_secondary(arc_kubeconfig="@not-yaml"),
     lambda p, b: [_site_label(p, "secondary"), "kubeconfig %r is not YAML (line" % b.files["not-yaml"],
                   "expected a kubeconfig", "clusters, contexts and users"], []),
    ("kubeconfig-without-clusters", _on_secondary(arc_kubeconfig="@no-clusters"),
     lambda p, b: [_site_label(p, "secondary"), "kubeconfig %r" % b.files["no-clusters"],
                   "not among its clusters (none)"], ["@tokens"]),
    ("kubeconfig-dict-without-token", _on_secondary(arc_kubeconfig="@no-token"),
     lambda p, b: [_site_label(p, "secondary"), "the kubeconfig given as a dict", "has no credentials",
                   "expected one of token", "api_key"], []),
    ("unknown-context", _on_secondary(arc_context="arc-nowhere"),
     lambda p, b: [_site_label(p, "secondary"), "kubeconfig context 'arc-nowhere'",
                   "there is no context 'arc-nowhere'", "its contexts are"], []),
    ("both-sites-one-kubeconfig", _secondary_on_the_primary_site,
     lambda p, b: ["site %s and site %s both reach namespace %s of the Kubernetes API" % (
         p.hosts["primary"], p.hosts["secondary"], p.connection["primary"]["arc_namespace"]),
         "the two sites of a DR pair must be on different clusters", "arc_kubeconfig and arc_context"], []),
    # with the admin's context: the sandbox's operator credential may not even read another namespace
    ("namespace-without-data-controller", _on_secondary(arc_namespace="default", arc_context="@admin-context"),
     lambda p, b: [_site_label(p, "secondary"), "no Arc data controller in namespace 'default'",
                   "namespace must be the namespace of the site's data controller"], []),
]


class BadInputs:
    """What the cases of one run need besides their pairs: group variable overrides by pair group, and the broken
    kubeconfigs made from the secondary site's own (with every token they hold, which must never be echoed)."""

    def __init__(self, sites, workdir):
        self.group_vars = {}
        with open(sites.site("secondary").kubeconfig) as handle:
            good = yaml.safe_load(handle)
        self.tokens = [u["user"]["token"] for u in good["users"] if (u.get("user") or {}).get("token")]
        self.files = {"not-yaml": str(workdir / "not-yaml.kubeconfig"),
                      "no-clusters": str(workdir / "no-clusters.kubeconfig")}
        with open(self.files["not-yaml"], "w") as handle:
            handle.write("apiVersion: v1\nclusters: [{name: arc, cluster: {server: https://x}\nusers: ::\n")
        with open(self.files["no-clusters"], "w") as handle:
            handle.write(yaml.safe_dump(dict(good, clusters=[])))
        no_token = copy.deepcopy(good)
        for user in no_token["users"]:
            (user.get("user") or {}).pop("token", None)
        self.values = dict(self.files, **{"no-token": no_token, "admin-context": sites.site("secondary").context})

    def value(self, value):
        return self.values.get(value[1:], value) if isinstance(value, str) and value.startswith("@") else value

    def secrets(self, secrets):
        return [s for secret in secrets for s in (self.tokens if secret == "@tokens" else [secret])]


def _inventory_group(pair):
    """The pair's group, its host vars overridden (even those PlaybookPair sets itself, such as arc_instance)."""
    plain = copy.copy(pair)
    plain.host_vars = dict((site, {}) for site in HOSTS)
    group = plain.inventory_group()
    for site in HOSTS:
        group["hosts"][pair.hosts[site]].update(pair.host_vars[site])
    return group


def write_inventory(workdir, pairs, bad=None):
    """A fleet inventory of `pairs` (docs/inventory.md), each pair's group vars overridden as `bad` says."""
    groups = {}
    for pair in pairs:
        groups[pair.group] = _inventory_group(pair)
        groups[pair.group]["vars"].update((bad.group_vars if bad else {}).get(pair.group, {}))
    path = workdir / ("inventory-%s.yml" % uuid.uuid4().hex[:6])
    path.write_text(yaml.safe_dump({"all": {"children": {"arc_dr_pairs": {"children": groups}}}}, sort_keys=False))
    return path


def writes_since(sites, marks):
    """The collection's writes on each site since `marks`, dry runs included: (verb, resource, name, code)."""
    return dict((site, [(r["verb"], r["resource"], r.get("name"), r["code"]) for r in requests
                        if r["verb"] in WRITE_VERBS])
                for site, requests in collection_since(sites, marks).items())


def pair_messages(run, pair):
    """The messages of the pair's failed tasks, by host (every host of the pair must have failed)."""
    by_host = dict((host, []) for host in pair.hosts.values())
    for task in run.failed():
        if task["host"] in by_host:
            by_host[task["host"]].append(str(task["result"].get("msg")))
    return by_host


def assert_refused(run, pair, fragments, secrets, writes, every_host=True):
    """The pair's hosts all failed (or, `every_host` false, the one that runs the pair's failover), their messages
    hold every fragment and no secret, and nothing was written."""
    assert run.rc != 0, run
    by_host = pair_messages(run, pair)
    failed = all(by_host.values()) if every_host else len([m for m in by_host.values() if m]) == 1
    assert failed, "not the expected hosts of the pair failed: %s\n%r" % (by_host, run)
    message = "\n".join(m for messages in by_host.values() for m in messages)
    missing = [f for f in fragments if f.lower() not in message.lower()]
    assert not missing, "the messages lack %s:\n%s" % (missing, message)
    output = run.stdout + run.stderr
    for secret in secrets:
        assert secret not in output, "a secret was echoed: %r" % secret
    assert writes == NO_WRITES, "writes before failing: %s" % writes


# -- pairs that do not exist yet: one dr_setup run over a fleet of bad pairs ----------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("bad-input-playbooks")


@pytest.fixture(scope="module")
def ansible_here(arc_sites, workdir):
    return Ansible(arc_sites, workdir)


@pytest.fixture(scope="module")
def fresh_matrix(arc_sites, ansible_here, workdir):
    """Every FRESH_CASES case as one pair of one fleet inventory, given to one dr_setup run."""
    made = PlaybookPairs(arc_sites, workdir)
    bad = BadInputs(arc_sites, workdir)
    pairs = {}
    for case_id, mutate, dummy, dummy in FRESH_CASES:
        pair = pairs[case_id] = made.new("bad", fleet=True)
        bad.values.update({"other-dag-name": pair.dag_name + "-typo", "primary-instance": pair.instances["primary"]})
        mutate(pair, bad)
    inventory = write_inventory(workdir, pairs.values(), bad)
    marks = audit_marks(arc_sites)
    started = time.monotonic()
    try:  # whatever a broken run left behind is removed
        run = ansible_here.run(DR_SETUP, inventory=inventory, env=ENV)
        print("bad-input matrix: %d fresh pairs in one dr_setup run, %.1f s" % (
            len(pairs), time.monotonic() - started))
        yield run, pairs, bad, writes_since(arc_sites, marks)
    finally:
        made.remove_all()


@pytest.mark.parametrize("case_id, fragments, secrets", [(c[0], c[2], c[3]) for c in FRESH_CASES],
                         ids=[c[0] for c in FRESH_CASES])
def test_dr_setup_refuses_a_bad_inventory_before_any_write(arc_sites, fresh_matrix, case_id, fragments, secrets):
    run, pairs, bad, writes = fresh_matrix
    pair = pairs[case_id]
    assert_refused(run, pair, fragments(pair, bad), bad.secrets(secrets), writes)
    for site in HOSTS:
        assert instance_object(arc_sites, pair, site) is None


def test_a_data_controller_in_direct_mode_stops_dr_setup_before_any_write(arc_sites, ansible_here, workdir):
    made = PlaybookPairs(arc_sites, workdir)
    pair = made.new("direct")
    site = arc_sites.site("secondary")
    custom = site.custom()
    path = ("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers", "arc-dc")

    def set_mode(value):
        custom.patch_namespaced_custom_object(*path, {"spec": {"settings": {"azure": {"connectionMode": value}}}})
    mode = custom.get_namespaced_custom_object(*path)["spec"]["settings"]["azure"]["connectionMode"]
    try:
        set_mode("direct")
        marks = audit_marks(arc_sites)
        run = ansible_here.run(DR_SETUP, inventory=write_inventory(workdir, [pair]))
        writes = writes_since(arc_sites, marks)
    finally:
        set_mode(mode)
        made.remove_all()
    assert_refused(run, pair, [_site_label(pair, "secondary"), "data controller 'arc-dc'",
                               "namespace %r is in direct connection mode" % site.namespace,
                               "needs a data controller in indirect connection mode"], [], writes)


# -- pairs that are set up: shared by the cases about what may not change, and the failover playbooks --------------

@pytest.fixture(scope="module")
def set_up_pairs(arc_sites, ansible_here, workdir):
    """Two pairs set up by one dr_setup run, then given to the cases below."""
    made = PlaybookPairs(arc_sites, workdir)
    pairs = [made.new("setup", fleet=True), made.new("setup", fleet=True)]
    try:
        run = ansible_here.run(DR_SETUP, inventory=write_inventory(workdir, pairs), env=ENV)
        assert run.rc == 0, run
        yield pairs
    finally:
        made.remove_all()


def _fresh_copy(pair):
    """The pair with host var overrides of its own (the fixture's pair stays as it was set up)."""
    copied = copy.copy(pair)
    copied.host_vars = dict((site, dict(values)) for site, values in pair.host_vars.items())
    return copied


def test_dr_setup_refuses_a_tier_change_and_a_certificate_of_the_wrong_instance(arc_sites, ansible_here, workdir,
                                                                                set_up_pairs):
    tier_change, wrong_remote = [_fresh_copy(p) for p in set_up_pairs]
    bad = BadInputs(arc_sites, workdir)
    bad.group_vars[tier_change.group] = {"arc_instance_spec": dict(tier_change.spec, tier="gp", replicas=1)}
    # the secondary's DAG is told that its partner is another instance: the certificate the primary site hands
    # over is the primary instance's, and says so in its DNS names
    wrong_remote.host_vars["secondary"]["dr_dag_remote_instance"] = "sqlelsewhere"
    marks = audit_marks(arc_sites)
    run = ansible_here.run(DR_SETUP, inventory=write_inventory(workdir, [tier_change, wrong_remote], bad), env=ENV)
    writes = writes_since(arc_sites, marks)
    assert_refused(run, tier_change, [
        "tier cannot change after creation", repr(tier_change.instances["primary"]),
        repr(tier_change.instances["secondary"]), "is BusinessCritical, the task asks for GeneralPurpose (gp)"], [],
        writes)
    messages = pair_messages(run, wrong_remote)[_host(wrong_remote, "secondary")]
    assert messages, run
    for fragment in ("remote_mirroring_cert", "certificate of instance %r" % wrong_remote.instances["primary"],
                     "not of remote_instance 'sqlelsewhere'"):
        assert fragment in "\n".join(messages), (fragment, messages)
    for pair in (tier_change, wrong_remote):
        assert instance_object(arc_sites, pair, "primary")["spec"]["tier"] == "BusinessCritical"


def test_a_failover_mode_typo_is_refused_before_any_write(arc_sites, ansible_here, workdir, set_up_pairs):
    pair = set_up_pairs[0]
    marks = audit_marks(arc_sites)
    run = ansible_here.run(FAILOVER_PLANNED, inventory=write_inventory(workdir, [pair]),
                           extra_vars={"dr_failover_mode": "plannned"})
    assert_refused(run, pair, ["dr_failover_mode must be one of: planned, forced, rejoin, failback, got: plannned"],
                   [], writes_since(arc_sites, marks))


def test_a_planned_failover_to_a_dag_resource_that_does_not_exist_is_refused(arc_sites, ansible_here, workdir,
                                                                             set_up_pairs):
    pair = _fresh_copy(set_up_pairs[1])
    pair.host_vars["secondary"]["arc_dag_resource"] = "dagtypo"
    marks = audit_marks(arc_sites)
    run = ansible_here.run(FAILOVER_PLANNED, inventory=write_inventory(workdir, [pair]))
    assert_refused(run, pair, ["refused, nothing was changed", _site_label(pair, "secondary"),
                               "it has no DAG resource 'dagtypo' (arc_dag_resource", "dr_setup creates it"], [],
                   writes_since(arc_sites, marks), every_host=False)


def test_a_forced_failover_with_a_mistyped_confirmation_is_refused(arc_sites, ansible_here, workdir, set_up_pairs):
    pair = set_up_pairs[0]
    typo = pair.dag_name.replace("-", "_")
    marks = audit_marks(arc_sites)
    run = ansible_here.run(FAILOVER_FORCED, inventory=write_inventory(workdir, [pair]),
                           extra_vars={"dr_failover_confirm": typo})
    assert_refused(run, pair, ["refused, nothing was changed", "dr_failover_confirm", repr(pair.dag_name), typo],
                   [], writes_since(arc_sites, marks), every_host=False)


def test_a_failover_limited_to_one_site_of_the_pair_is_refused(arc_sites, ansible_here, workdir, set_up_pairs):
    pair = set_up_pairs[0]
    marks = audit_marks(arc_sites)
    run = ansible_here.run(FAILOVER_PLANNED, inventory=write_inventory(workdir, [pair]), limit=pair.hosts["primary"])
    assert_refused(run, pair, ["DR pair %s: %s is not in this play" % (pair.group, pair.hosts["secondary"]),
                               "nothing was changed"], [], writes_since(arc_sites, marks), every_host=False)
