"""Deterministic randomness: one independent ``random.Random`` per (seed, stream, day, ...).

Seeds are derived with BLAKE2b, never with ``hash()`` (which is salted per process), so the
same seed gives the same history on every machine and Python version. ``smooth`` gives slowly
varying day-to-day trends (weight, fitness, resting heart rate) without looking at other days.
"""

from __future__ import annotations

import hashlib
import math
import random

_TAU = 2.0 * math.pi
_PERIODS = (365.25, 97.0, 31.0, 11.3)
_AMPLITUDES = (0.4, 0.3, 0.2, 0.1)


def derive(seed: int, *parts: object) -> int:
    """A 64-bit integer determined only by ``seed`` and ``parts``."""
    text = ":".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random(derive(seed, *parts))


def smooth(seed: int, name: str, x: float) -> float:
    """A smooth pseudo-random curve in roughly [-1, 1], evaluated at day number ``x``."""
    total = 0.0
    for k, (period, amp) in enumerate(zip(_PERIODS, _AMPLITUDES, strict=True)):
        phase = (derive(seed, "smooth", name, k) % 10_000) / 10_000 * _TAU
        total += amp * math.sin(_TAU * x / period + phase)
    return total
