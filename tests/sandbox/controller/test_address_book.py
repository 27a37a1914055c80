"""The site's address book of instance endpoints: leases from the site's own /16, kept across restarts,
freed on deletion, another address when one is held by some other process."""
import ipaddress

from sandbox.controller.engine.addresses import AddressBook


def book(tmp_path, site="127.10.0.1", name="addresses.json"):
    return AddressBook(tmp_path / name, site)


def test_leases_come_from_the_sites_range_and_stay_with_their_instance(tmp_path):
    first = book(tmp_path)
    a, b = first.lease("uid-a", "primary"), first.lease("uid-b", "primary")
    secondary = first.lease("uid-a", "secondary")
    assert len({a, b, secondary}) == 3
    assert all(ipaddress.ip_address(x) in ipaddress.ip_network("127.10.0.0/16") for x in (a, b, secondary))
    assert "127.10.0.1" not in (a, b, secondary)
    again = book(tmp_path)  # the controller restarted
    assert (again.lease("uid-a", "primary"), again.lease("uid-a", "secondary")) == (a, secondary)


def test_the_two_sites_never_share_an_address(tmp_path):
    primary = {book(tmp_path, "127.10.0.1", "p.json").lease(f"u{i}", "primary") for i in range(20)}
    secondary = {book(tmp_path, "127.20.0.1", "s.json").lease(f"u{i}", "primary") for i in range(20)}
    assert not primary & secondary
    assert all(a.startswith("127.20.") for a in secondary)


def test_a_released_address_is_leased_again_and_an_unusable_one_is_skipped(tmp_path):
    addresses = book(tmp_path)
    a = addresses.lease("uid-a", "primary")
    addresses.release("uid-a")
    assert addresses.lease("uid-b", "primary") == a
    moved = addresses.lease("uid-b", "primary", avoid=[a])
    assert moved != a and addresses.lease("uid-b", "primary") == moved
    assert addresses.lease("uid-c", "primary") == a  # freed by uid-b's move


def test_leases_of_instances_gone_while_the_controller_was_down_are_freed(tmp_path):
    addresses = book(tmp_path)
    addresses.lease("kept", "primary")
    gone = addresses.lease("gone", "primary")
    assert addresses.known({"kept"}) == ["gone"]
    assert gone not in {a for leases in book(tmp_path).leases.values() for a in leases.values()}


def test_sandboxes_beside_each_other_start_at_different_addresses(tmp_path):
    assert book(tmp_path / "one").lease("u", "primary") != book(tmp_path / "two").lease("u", "primary")


def test_a_site_off_loopback_shares_its_address(tmp_path):
    addresses = book(tmp_path, "10.1.2.3")
    assert addresses.shared and addresses.lease("u", "primary") == "10.1.2.3"
