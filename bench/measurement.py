"""What one measurement returns: its figures, and each target with whether this run met it."""
from dataclasses import dataclass, field


@dataclass
class Target:
    what: str       # "median wait latency (watch)"
    goal: str       # "<= 0.2 s"
    value: object   # the measured value compared with the goal
    met: bool


@dataclass
class Result:
    name: str
    title: str
    figures: dict = field(default_factory=dict)   # figure name -> stats.summary(...) or a plain value
    targets: list = field(default_factory=list)   # [Target]
    notes: list = field(default_factory=list)     # one-line remarks for the report

    def target(self, what, goal, value, met):
        self.targets.append(Target(what, goal, value, bool(met)))

    def as_dict(self):
        return {"name": self.name, "title": self.title, "figures": self.figures,
                "targets": [vars(t) for t in self.targets], "notes": self.notes}
