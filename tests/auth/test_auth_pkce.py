"""PKCE pairs and state values."""

from __future__ import annotations

import re

import pytest

from fitbit_sync.auth.pkce import PkcePair, challenge_for, new_state


def test_challenge_matches_rfc7636_appendix_b() -> None:
    # the worked example of RFC 7636, Appendix B
    assert challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_generated_pairs_are_valid_and_distinct() -> None:
    pairs = [PkcePair.generate() for _ in range(50)]
    assert len({p.verifier for p in pairs}) == 50
    for pair in pairs:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", pair.verifier)
        assert pair.challenge == challenge_for(pair.verifier)
        assert pair.method == "S256"
        assert pair.verifier not in repr(pair)


@pytest.mark.parametrize("bad", ["short", "x" * 129, "a" * 42 + "+", "é" * 50])
def test_bad_verifiers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        challenge_for(bad)


def test_state_values_are_unguessable() -> None:
    states = {new_state() for _ in range(100)}
    assert len(states) == 100
    assert all(len(s) >= 32 for s in states)
