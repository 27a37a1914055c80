"""What a forced failover's rejoin should report as discarded, from what the workload saw and the old primary's
log, and whether the handover record agrees.

The old primary was killed while the workload wrote to it. The DR site was promoted with its log up to
`promoted_at_lsn` (its tip then, which the engine reports as `promoted_at_lsn`); when the old primary rejoins, the
records of its log after that LSN are discarded. From the workload's side:
  acknowledged lost   writes the old primary acknowledged with an LSN after `promoted_at_lsn`: each is in its log
                      (a commit is acknowledged only once durable), so each is discarded;
  unanswered          writes sent to the old primary that got no answer (it died with them in flight): each may or
                      may not have reached its log before it died.
So what the workload may have lost is at most `acknowledged lost + unanswered` (the upper bound), and exactly
`acknowledged lost + the unanswered writes found in the old primary's log after promoted_at_lsn` (read from the
log before the rejoin). The rejoin's handover record (`discarded_transactions`) must equal the exact figure. A
controller that discarded nothing reports no Event, and the record then says the count is unknown (null).
"""
from .workload import acknowledged, keys_of


def expectation(entries, old_site, promoted_at_lsn, divergent_records):
    """`entries`: the workload's attempts during the old primary's last term (to the rejoin); `divergent_records`:
    its log after `promoted_at_lsn`, read before the rejoin (dicts with lsn and key)."""
    acknowledged_lost = [(lsn, key) for lsn, key in acknowledged(entries, old_site) if lsn > promoted_at_lsn]
    unanswered = set(keys_of(entries, "unanswered", old_site))
    in_log = set((record["lsn"], record["key"]) for record in divergent_records)
    logged_keys = set(key for unused, key in in_log)
    unanswered_in_log = sorted(unanswered & logged_keys)
    return {"promoted_at_lsn": promoted_at_lsn,
            "acknowledged_lost": len(acknowledged_lost),
            "unanswered": len(unanswered),
            "upper_bound": len(acknowledged_lost) + len(unanswered),
            "divergent_records": len(divergent_records),
            "unanswered_in_log": len(unanswered_in_log),
            "expected": len(acknowledged_lost) + len(unanswered_in_log),
            # a write acknowledged but not in the log it was acknowledged from: the acknowledgement lied
            "acknowledged_not_in_log": sorted(key for lsn, key in acknowledged_lost if (lsn, key) not in in_log),
            # records no write of the workload explains (nothing else writes to the instance)
            "unexplained_records": sorted(logged_keys - unanswered - set(key for unused, key in acknowledged_lost))}


def verdict(reported, found):
    """How the record's count compares with the expectation: `equal`, `none discarded, none reported`, or
    `differs`."""
    if reported is None and found["expected"] == 0:
        return "none discarded, none reported"
    if reported == found["expected"] and not found["acknowledged_not_in_log"] and not found["unexplained_records"]:
        return "equal"
    return "differs"
