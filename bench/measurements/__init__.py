"""One module per measurement; each has NAME, TITLE and run(options) -> measurement.Result. The order here is
the order of the report."""
import importlib

NAMES = ("sandbox_capacity", "wait_latency", "api_requests", "task_cost", "planned_failover", "forced_failover", "fleet")


def load(name):
    return importlib.import_module("bench.measurements.%s" % name)
