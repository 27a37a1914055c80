"""The fault kinds of the fault matrix, one entry each: its name, what it is, the transports it applies to, how it
is injected and how it is cleared; and the combinations of playbook, step, kind and transport that make no cell,
with the reason.

A kind's scope is either RUN (it lasts from the playbook's first request to its last: the cell's step is "every
step") or STEP (it strikes once, at one step of the playbook: as the step's task starts, or, for a step inside the
failover module's one task, once the request before it is in a site's audit log; see fault_matrix.Strike).
A STEP kind's `commands(context)` are the argv lists (mostly the sandbox CLI's) run at the step; a RUN kind has
`rules` (the sandbox's fault rules, set on both sites' APIs for the collection's requests before the run), `before`
commands (Resource Manager's fault rules, the link's flapping) or a `background` that runs beside the playbook
(cutting watches). `clear(context)` are the commands that undo what the kind did once the run has ended (the matrix
also clears every rule, starts every site and heals the link, whatever the kind).
"""
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from sandbox.layout import REPO_ROOT

INDIRECT, DIRECT = "indirect", "direct"
TRANSPORTS = (INDIRECT, DIRECT)
RUN, STEP = "run", "step"

FLAKY_RULES = ({"code": 503, "rate": 0.07, "retry_after": 0}, {"code": 429, "rate": 0.075, "retry_after": 1},
               {"code": 500, "rate": 0.075})
# the same on Resource Manager (direct mode), in its own words: `arm-fault` options
ARM_FLAKY = (("--code", "503", "--rate", "0.07", "--retry-after", "0"),
             ("--code", "429", "--rate", "0.075", "--retry-after", "1"), ("--code", "500", "--rate", "0.075"))
CONFLICT_RULES = ({"verb": "patch", "code": 409, "rate": 0.3}, {"verb": "update", "code": 409, "rate": 0.3})
# every request late; two of them (one in ten while any are left) refused with a long Retry-After first
SLOW_LATENCY_MS, SLOW_JITTER_MS = 200, 200
SLOW_RETRY_AFTER = 3
SLOW_RULES = ({"code": 429, "rate": 0.1, "count": 2, "retry_after": SLOW_RETRY_AFTER},
              {"latency_ms": SLOW_LATENCY_MS, "latency_jitter_ms": SLOW_JITTER_MS})
# a resumed watch answered 410 Gone (Expired), the first two on each site
WATCH_EXPIRED_RULES = ({"verb": "watch", "watch": "expire", "count": 2},)
WATCH_CUT_SECONDS = 2.0
FLAP_PERIOD, FLAP_DOWN = 3.0, 1.5
ARM_THROTTLE_RATE, ARM_RETRY_AFTER = 0.3, 2
COLLECTION_AGENT = "arcdata.sqlmi/"


@dataclass
class Context:
    """What a kind needs to strike: the sandbox CLI's argv prefix, the cell's transport, the site the step works
    on (for kinds that strike one site) and the file holding the run's ansible-playbook pid."""
    cli: Tuple[str, ...]
    transport: str
    site: Optional[str] = None
    pid_file: Optional[str] = None

    def command(self, *args):
        return list(self.cli) + list(args)


@dataclass(frozen=True)
class FaultKind:
    name: str
    what: str
    scope: str
    transports: Tuple[str, ...] = TRANSPORTS
    strikes_a_site: bool = False  # STEP kinds that strike one site: the step names which (one cell per site)
    rules: Tuple[dict, ...] = ()  # RUN: fault rules on both sites' APIs, for the collection's requests
    before: Optional[Callable] = None  # RUN: context -> [argv, ...] run before the playbook
    background: Optional[Callable] = None  # RUN: context -> a started object whose stop() ends it
    commands: Optional[Callable] = None  # STEP: context -> [argv, ...] run at the step
    clear: Optional[Callable] = None  # context -> [argv, ...] run once the playbook ended
    interrupts: bool = False  # the run does not end by itself: no failure message to judge, only the re-run


def _actions(*args):
    return [sys.executable, "-m", "tests.integration.fault_actions"] + list(args)


class WatchCutter:
    """Cuts the collection's open watches on both sites every WATCH_CUT_SECONDS until stopped."""

    def __init__(self, context, sites=("primary", "secondary")):
        self.context, self.sites = context, sites
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._cut, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _cut(self):
        while not self._stop.wait(WATCH_CUT_SECONDS):
            for site in self.sites:
                subprocess.run(self.context.command("cut-watches", "--site", site, "--user-agent", COLLECTION_AGENT),
                               capture_output=True, timeout=60, check=False, cwd=str(REPO_ROOT))

    def stop(self):
        self._stop.set()
        self._thread.join(120)


def _arm_flaky(context):
    return [context.command("arm-fault", *args) for args in ARM_FLAKY] if context.transport == DIRECT else []


def _clear_arm(context):
    return [context.command("arm-fault", "--clear"), context.command("arm-tokens", "--default-lifetime")] \
        if context.transport == DIRECT else []


KINDS = (
    FaultKind("flaky", "20 % of the collection's requests answered 503, 429 (Retry-After 1 s) or 500, at every "
              "step (in direct mode by Resource Manager too)", RUN, rules=FLAKY_RULES, before=_arm_flaky,
              clear=_clear_arm),
    FaultKind("conflicts", "30 % of the collection's writes (patch, update) to the sites' APIs answered 409 "
              "Conflict, at every step (in direct mode: the DR lock and the handover records)", RUN,
              rules=CONFLICT_RULES),
    FaultKind("slow-api", "every request of the collection answered %d-%d ms late, and two of them (one in ten "
              "while any are left) refused with 429 and Retry-After %d s, at every step"
              % (SLOW_LATENCY_MS, SLOW_LATENCY_MS + SLOW_JITTER_MS, SLOW_RETRY_AFTER), RUN, rules=SLOW_RULES),
    FaultKind("watch-cut", "the collection's open watches cut every %.0f s on both sites, and its first two resumed "
              "watches on each answered 410 Gone (Expired), at every step" % WATCH_CUT_SECONDS, RUN,
              transports=(INDIRECT,), rules=WATCH_EXPIRED_RULES,
              background=lambda context: WatchCutter(context).start()),
    FaultKind("link-flap", "the mirroring link cut for %.1f s every %.0f s while the playbook runs"
              % (FLAP_DOWN, FLAP_PERIOD), RUN,
              before=lambda c: [c.command("flap", "--period", str(FLAP_PERIOD), "--down", str(FLAP_DOWN))],
              clear=lambda c: [c.command("heal")]),
    FaultKind("api-dies", "the site the step works on killed at the step (in direct mode its cluster: Resource "
              "Manager's projection to it stalls)", STEP, strikes_a_site=True,
              commands=lambda c: [c.command("kill", "--site", c.site)],
              clear=lambda c: [c.command("start", "--site", c.site)]),
    FaultKind("link-cut", "the mirroring link between the sites cut at the step", STEP,
              commands=lambda c: [c.command("partition")], clear=lambda c: [c.command("heal")]),
    FaultKind("controller-restart", "the Arc controller of the site the step works on restarted at the step (its "
              "API and SQL engines run on; the controller resumes from the custom resources and its records)", STEP,
              strikes_a_site=True, commands=lambda c: [c.command("controller", "restart", "--site", c.site)]),
    FaultKind("control-node-killed", "SIGKILL to the whole process group of ansible-playbook at the step, then the "
              "same playbook run again", STEP, interrupts=True,
              commands=lambda c: [_actions("kill-playbook", c.pid_file)]),
    FaultKind("arm-429", "%.0f %% of Resource Manager's answers to the collection 429 (SubscriptionRequestsThrottled, "
              "Retry-After %d s), at every step" % (ARM_THROTTLE_RATE * 100, ARM_RETRY_AFTER), RUN,
              transports=(DIRECT,),
              before=lambda c: [c.command("arm-fault", "--code", "429", "--rate", str(ARM_THROTTLE_RATE),
                                          "--retry-after", str(ARM_RETRY_AFTER))], clear=_clear_arm),
    FaultKind("lro-stuck-accepted", "the first long-running operation the collection starts on Resource Manager "
              "stays InProgress (its resource Accepted, or Deleting) until the fault is cleared", RUN,
              transports=(DIRECT,), before=lambda c: [c.command("arm-fault", "--hold-lro", "--count", "1")],
              clear=_clear_arm),
    FaultKind("token-expiry", "every Resource Manager access token issued so far expires at the step (401 "
              "ExpiredAuthenticationToken from then on)", STEP, transports=(DIRECT,),
              commands=lambda c: [c.command("arm-tokens", "--revoke")], clear=_clear_arm),
)
BY_NAME = dict((kind.name, kind) for kind in KINDS)

ANY = "*"
# (playbook, step, kind, transport, why no cell): ANY matches every value
INAPPLICABLE = (
    ("dr_rejoin", ANY, ANY, DIRECT, "the matrix makes the two primaries a rejoin starts from through the Kubernetes "
     "API, which Resource Manager's projection owns in direct mode: not covered in direct mode"),
    ("dr_teardown", "instances", "link-cut", ANY, "no instance deletion crosses the mirroring link (the link is cut "
     "at the DAG step)"),
    ("dr_teardown", "instance removal", "link-cut", ANY, "likewise"),
    ("dr_teardown", ANY, "link-flap", ANY, "the teardown waits for nothing the link carries (link-cut at the DAG "
     "step covers a link lost during it)"),
    (ANY, ANY, "watch-cut", DIRECT, "in direct mode the collection waits by polling Resource Manager: it opens no "
     "watch"),
    (ANY, ANY, "arm-429", INDIRECT, "Resource Manager is not in the path in indirect mode"),
    (ANY, ANY, "lro-stuck-accepted", INDIRECT, "likewise"),
    (ANY, ANY, "token-expiry", INDIRECT, "likewise (the sites' own tokens expiring is tested by "
     "test_exec_kubeconfig.py)"),
)


def inapplicable(playbook, step, kind, transport):
    """The reason there is no such cell, or None."""
    for rule in INAPPLICABLE:
        if all(pattern in (ANY, value) for pattern, value in zip(rule[:4], (playbook, step, kind, transport))):
            return rule[4]
    return None
