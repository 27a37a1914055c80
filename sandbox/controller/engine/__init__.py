"""What runs inside an emulated SQL MI: its transaction log, its database, its mirroring link, the
client endpoints tests and the demo write through (refused under the DR licence, licence.py), and the
loopback addresses its endpoints listen on (addresses.py)."""
