"""The failover soak (`make soak`, `python -m tests.soak`): one DR pair on a sandbox of its own, many planned
failovers under a continuous write workload, then forced failover and rejoin cycles with the primary site killed
each time, checking after every cycle what a user relies on (no acknowledged write lost in a planned failover, one
primary, the DR lock released, the rejoin's discarded count matching what the workload saw) and sampling the
memory of every sandbox process and of the control node. Results: build/soak/soak.json and soak.md."""
