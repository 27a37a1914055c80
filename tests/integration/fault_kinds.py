"""The fault kinds of the fault matrix, one entry each: its name, what it is, the transports it applies to, how it
is injected and how it is cleared; and the combinations of playbook, step, kind and transport that make no cell,
with the reason.

A kind's scope is either RUN (it lasts from the playbook's first request to its last: the cell's step is "every
step") or STEP (it strikes once, at one step of the playbook: as the step's task starts, or, for a step inside the
failover module's one task, once the request before it is in a site's audit log; see fault_matrix.Strike).
A STEP kind's `commands(context)` are the argv lists run at the step; a RUN kind has `rules` (the sandbox's fault
rules, set on both sites' APIs for the collection's requests before the run) or a `background` that runs beside
the playbook (the link flapping). `clear(matrix, context)` undoes what the kind did once the run has ended (the
matrix also clears every rule, starts every site and heals the link, whatever the kind).
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
CONFLICT_RULES = ({"verb": "patch", "code": 409, "rate": 0.3}, {"verb": "update", "code": 409, "rate": 0.3})
# every request late; two of them (one in ten while any are left) refused with a long Retry-After first
SLOW_LATENCY_MS = 250
SLOW_RETRY_AFTER = 3
SLOW_RULES = ({"code": 429, "rate": 0.1, "count": 2, "retry_after": SLOW_RETRY_AFTER},
              {"latency_ms": SLOW_LATENCY_MS})
WATCH_CUT_RULES = ({"verb": "watch", "drop": "before", "rate": 0.5},)
FLAP_SECONDS = 1.5  # the link is cut this long, then up this long, for as long as the run lasts


@dataclass
class Context:
    """What a kind needs to strike: the sandbox CLI's argv prefix, the sandbox's runtime directory, the site the
    step works on (for kinds that strike one site) and the file holding the run's ansible-playbook pid."""
    cli: Tuple[str, ...]
    runtime_dir: str
    site: Optional[str] = None
    pid_file: Optional[str] = None


@dataclass(frozen=True)
class FaultKind:
    name: str
    what: str
    scope: str
    transports: Tuple[str, ...] = TRANSPORTS
    strikes_a_site: bool = False  # STEP kinds that strike one site: the step names which (one cell per site)
    rules: Tuple[dict, ...] = ()
    commands: Optional[Callable] = None  # STEP: context -> [argv, ...]
    background: Optional[Callable] = None  # RUN: context -> a started Background
    clear: Optional[Callable] = None  # (matrix, context) -> None
    interrupts: bool = False  # the run does not end by itself: no failure message to judge, only the re-run


def _actions(*args):
    return [sys.executable, "-m", "tests.integration.fault_actions"] + list(args)


class LinkFlap:
    """Cuts and heals the mirroring link every FLAP_SECONDS until stopped; the link is left healed."""

    def __init__(self, context):
        self.context = context
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flap, daemon=True)
        self.flaps = 0

    def start(self):
        self._thread.start()
        return self

    def _flap(self):
        while not self._stop.is_set():
            self._cli("partition")
            self._stop.wait(FLAP_SECONDS)
            self._cli("heal")
            self.flaps += 1
            self._stop.wait(FLAP_SECONDS)

    def _cli(self, command):
        subprocess.run(list(self.context.cli) + [command], capture_output=True, timeout=60, check=False,
                       cwd=str(REPO_ROOT))

    def stop(self):
        self._stop.set()
        self._thread.join(120)
        self._cli("heal")
        return self.flaps > 0


def _start_site(matrix, context):
    matrix.start_site(context.site)


def _heal(matrix, context):
    matrix.heal()


KINDS = (
    FaultKind("flaky", "20 % of the collection's requests answered 503, 429 (Retry-After 1 s) or 500, at every step",
              RUN, rules=FLAKY_RULES),
    FaultKind("conflicts", "30 % of the collection's writes (patch, update) answered 409 Conflict, at every step",
              RUN, rules=CONFLICT_RULES),
    FaultKind("slow-api", "every request of the collection answered %d ms late, and two of them (one in ten while "
              "any are left) refused with 429 and Retry-After %d s, at every step" % (SLOW_LATENCY_MS,
                                                                                    SLOW_RETRY_AFTER),
              RUN, rules=SLOW_RULES),
    FaultKind("watch-cut", "half of the collection's watches cut (the connection dropped) as they open, at every "
              "step", RUN, rules=WATCH_CUT_RULES),
    FaultKind("link-flap", "the mirroring link cut for %.1f s, then up for %.1f s, over and over while the playbook "
              "runs" % (FLAP_SECONDS, FLAP_SECONDS), RUN, background=lambda context: LinkFlap(context).start()),
    FaultKind("api-dies", "the site the step works on killed at the step (in direct mode its cluster: Resource "
              "Manager's projection to it stalls)", STEP, strikes_a_site=True,
              commands=lambda c: [list(c.cli) + ["kill", "--site", c.site]], clear=_start_site),
    FaultKind("link-cut", "the mirroring link between the sites cut at the step", STEP,
              commands=lambda c: [list(c.cli) + ["partition"]], clear=_heal),
    FaultKind("controller-restart", "the Arc controller of the site the step works on killed and started again at "
              "the step (its API keeps answering; the controller resumes from the custom resources alone)", STEP,
              strikes_a_site=True, commands=lambda c: [_actions("restart-controller", c.runtime_dir, c.site)]),
    FaultKind("control-node-killed", "SIGKILL to the whole process group of ansible-playbook at the step, then the "
              "same playbook run again", STEP, interrupts=True,
              commands=lambda c: [_actions("kill-playbook", c.pid_file)]),
)
BY_NAME = dict((kind.name, kind) for kind in KINDS)

# Kinds the sandbox cannot inflict yet: listed in the report, no cells.
PENDING = (
    ("watch-410", "a resumed watch answered 410 Gone, and open watches cut mid-stream (the sandbox cuts a watch "
                  "only as it opens)"),
    ("lro-stuck-accepted", "direct mode: a Resource Manager long-running operation that stays Accepted"),
    ("arm-429", "direct mode: Resource Manager answering 429 with Retry-After"),
    ("token-expiry", "direct mode: the access token expiring mid-run"),
)

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
)


def inapplicable(playbook, step, kind, transport):
    """The reason there is no such cell, or None."""
    for rule in INAPPLICABLE:
        if all(pattern in (ANY, value) for pattern, value in zip(rule[:4], (playbook, step, kind, transport))):
            return rule[4]
    return None
