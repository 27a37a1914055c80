"""The Arc data controller emulator of one site: SqlManagedInstance and FailoverGroup/Dag reconcile,
a mirroring endpoint per instance, and the replication engine behind it.

It talks to its site's API only through the Kubernetes API with the official `kubernetes` client,
so it would run unchanged against a real cluster with the Arc CRDs installed.
"""
