"""Named fault rules for a site's API, as the fault matrix uses them: `python -m sandbox fault --preset NAME`."""

# the collection's requests carry this User-Agent prefix; the site's own controller is not slowed
COLLECTION_AGENT = "arcdata.sqlmi/"

PRESETS = {
    # a loaded or distant API server: every request of the collection takes 1 to 2 s
    "slow-api": {"user_agent": COLLECTION_AGENT, "latency_ms": 1000, "latency_jitter_ms": 1000},
    # an API server shedding load: a third of the collection's requests answered 429 with a 5 s Retry-After
    "throttled": {"user_agent": COLLECTION_AGENT, "code": 429, "retry_after": 5, "rate": 0.3},
    # an API server restarting behind its load balancer: 503 with a 5 s Retry-After, three times
    "unavailable": {"user_agent": COLLECTION_AGENT, "code": 503, "retry_after": 5, "count": 3},
    # etcd compacted: the collection's next resumed watch is told its resourceVersion expired
    "watch-expired": {"user_agent": COLLECTION_AGENT, "verb": "watch", "watch": "expire", "count": 1},
}

DESCRIPTIONS = {
    "slow-api": "the collection's requests take 1-2 s each",
    "throttled": "a third of the collection's requests get 429, Retry-After 5 s",
    "unavailable": "the collection's next 3 requests get 503, Retry-After 5 s",
    "watch-expired": "the collection's next resumed watch gets 410 Expired",
}
