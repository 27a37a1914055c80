"""The loopback address of each instance's endpoints, so that every instance can listen on the ports a
real one publishes (1433 for TDS, 5022 for mirroring) on one machine.

A real instance's endpoints are Services with addresses of their own (`<mi>-external-svc`,
`<mi>-secondary-external-svc`). Here each gets a loopback address from its site's /16 (Linux serves
all of 127.0.0.0/8): the primary site 127.10.x.y, the secondary site 127.20.x.y, so the two sites never
share one. An address is leased to an instance (its uid) for good, kept on disk so a restarted site
publishes the same endpoints, and freed when the instance is deleted. Several sandboxes may run on one
machine (tests in parallel): each starts its search at a point of its own in the range, and an address
some other process holds is skipped when binding fails (see InstanceRuntime).
"""
import hashlib
import ipaddress

from .. import jsonfile

HOSTS_PER_BLOCK = 254  # x.y with y in 1..254: no .0 or .255, which read like network and broadcast


class AddressBook:
    def __init__(self, path, site_address):
        self.path = path
        self.site_address = site_address
        self.leases = jsonfile.load(path, {})  # uid -> {endpoint: address}
        site = ipaddress.ip_address(site_address)
        # on a loopback site, a /16 of its own; elsewhere (a real interface) every instance shares the site's
        # address, with ports of its own (fixed ports are impossible there)
        self.shared = not site.is_loopback
        self._prefix = ".".join(site_address.split(".")[:2])
        digest = hashlib.sha256(str(path).encode()).digest()
        self._start = int.from_bytes(digest[:4], "big") % self.size  # this sandbox's own starting point

    @property
    def size(self):
        return 256 * HOSTS_PER_BLOCK

    def _candidate(self, index):
        index %= self.size
        return f"{self._prefix}.{index // HOSTS_PER_BLOCK}.{index % HOSTS_PER_BLOCK + 1}"

    def lease(self, uid, endpoint, avoid=()):
        """The address of `endpoint` ("primary", "secondary") of instance `uid`: the one it holds, unless it is
        in `avoid` (it could not be bound), else the next free one of this site's range."""
        if self.shared:
            return self.site_address
        held = self.leases.get(uid, {})
        if held.get(endpoint) and held[endpoint] not in avoid:
            return held[endpoint]
        taken = {a for leases in self.leases.values() for a in leases.values()} | set(avoid) | {self.site_address}
        for offset in range(self.size):
            address = self._candidate(self._start + offset)
            if address not in taken:
                self.leases[uid] = {**held, endpoint: address}
                jsonfile.save(self.path, self.leases)
                return address
        raise RuntimeError(f"no free address left in {self._prefix}.0.0/16 for the instances of this site")

    def release(self, uid):
        """The instance was deleted: its addresses are free again."""
        if self.leases.pop(uid, None) is not None:
            jsonfile.save(self.path, self.leases)

    def known(self, uids):
        """Forget the leases of instances that no longer exist (deleted while the controller was down)."""
        gone = [uid for uid in self.leases if uid not in uids]
        for uid in gone:
            self.release(uid)
        return gone
