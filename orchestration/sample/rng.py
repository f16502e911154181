"""Deterministic randomness keyed by purpose, so adding a draw in one place never shifts another.

Every stream is derived from the seed and a tuple of keys through BLAKE2b; nothing depends on
Python's hash randomisation, the clock or the order in which other parts of the generator run.
"""

from __future__ import annotations

import hashlib
import random


def _digest(seed: int, keys: tuple[object, ...]) -> bytes:
    text = "|".join([str(seed), *(str(key) for key in keys)])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def unit(seed: int, *keys: object) -> float:
    """A uniform number in [0, 1) fixed by (seed, keys)."""
    return int.from_bytes(_digest(seed, keys)[:8], "big") / 2**64


def stream(seed: int, *keys: object) -> random.Random:
    """A private random.Random fixed by (seed, keys)."""
    return random.Random(int.from_bytes(_digest(seed, keys), "big"))
