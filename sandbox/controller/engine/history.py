"""Epoch histories: which primary term wrote which part of a log, and where two logs part.

An epoch is a string `<n>.<instance>`: `n` is one more than any term the promoting instance knew
of, the instance name keeps two terms started on both sides of a split brain distinct. A history
is a list of `[epoch, first LSN]`. Two logs hold the same record at an LSN when their histories
give it the same epoch (one writer per term), so the common point after a split is the last LSN
where they agree.
"""


def initial(instance):
    return [[f"1.{instance}", 1]]


def term(epoch):
    return int(str(epoch).split(".", 1)[0])


def next_epoch(instance, *histories):
    return f"{max(term(e) for h in histories for e, unused in h) + 1}.{instance}"


def epoch_at(history, lsn):
    current = None
    for epoch, first in history:
        if first <= lsn:
            current = epoch
    return current


def segment_start(history, lsn):
    start = 1
    for unused, first in history:
        if first <= lsn:
            start = first
    return start


def common_point(mine, my_tip, theirs, their_tip):
    """The highest LSN up to which both logs hold the same records."""
    lsn = min(my_tip, their_tip)
    while lsn > 0 and epoch_at(mine, lsn) != epoch_at(theirs, lsn):
        lsn = max(segment_start(mine, lsn), segment_start(theirs, lsn)) - 1
    return lsn
