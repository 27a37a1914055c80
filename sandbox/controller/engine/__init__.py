"""What runs inside an emulated SQL MI: its transaction log, its database, its mirroring link and
the client endpoint tests and the demo write through."""
