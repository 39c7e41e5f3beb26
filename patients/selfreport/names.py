"""Matching the legal name a patient types to sign consent remotely: accents, case and extra
spaces are ignored ("José  Núñez" = "jose nunez"). Pure Python (``unicodedata``), so the
answer is the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def names_match(typed: str, legal: str) -> bool:
    return bool(typed.strip()) and normalise_name(typed) == normalise_name(legal)
