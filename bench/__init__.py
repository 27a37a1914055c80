"""`make bench`: how fast the collection is, measured on the sandbox and compared, in the same run on the same
machine, with what users would otherwise use (a 5-second poll, kubernetes.core). See docs/performance.md."""
