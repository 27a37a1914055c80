"""The smallest end-to-end check: a pair set up by hand connects."""
from .conftest import Pair


def test_a_pair_set_up_by_hand_connects(arc):
    pair = Pair(arc).setup()
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
