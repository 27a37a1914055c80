"""One module per measurement; each has NAME, TITLE and run(options) -> measurement.Result. The order here is
the order of the report. A module whose IN_SMOKE_RUN is False is left out of `--quick` runs unless named by
`--only`."""
import importlib

NAMES = ("sandbox_capacity", "wait_latency", "api_requests", "task_cost", "planned_failover", "forced_failover", "direct_mode",
         "fleet")


def load(name):
    return importlib.import_module("bench.measurements.%s" % name)
