"""Figures as the bench reports them: the median of several runs, with min and max."""
import statistics


def summary(values, unit):
    """{'median', 'min', 'max', 'runs', 'unit', 'values'} of the measured `values`."""
    values = [round(v, 4) for v in values]
    return {"median": round(statistics.median(values), 4), "min": min(values), "max": max(values),
            "runs": len(values), "unit": unit, "values": values}


def ratio(numerator, denominator):
    """numerator / denominator of two summaries' medians (None when the denominator is 0)."""
    if not denominator["median"]:
        return None
    return round(numerator["median"] / denominator["median"], 3)
