"""The order in which a patient answers a measure on their phone, one item per screen.

Pure (no Django): the item keys that apply given the answers so far, and the conversion of the
answers into what ``instruments.score`` takes. The wording and response options are the
published ones in ``patients.instruments``; nothing is scored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from patients import instruments

# What a patient may answer on their own (the CADSS-6 is rated by staff after a dose).
SELF_REPORT_CODES: tuple[str, ...] = (
    instruments.PHQ9,
    instruments.GAD7,
    instruments.PCL5,
    instruments.CSSRS,
)
_CSSRS_FOLLOW_Q2 = ("q3", "q4", "q5")


@dataclass(frozen=True)
class Item:
    code: str
    key: str
    number: int  # 1-based position among the items that apply
    count: int  # how many items apply (so far, for the C-SSRS)
    text: str
    stem: str
    options: tuple[tuple[int, str], ...]


def item_keys(code: str, answers: Mapping[str, int]) -> list[str]:
    """The keys that apply, in order. For the C-SSRS screener (Columbia Lighthouse Project)
    Q3-Q5 are asked only after a yes to Q2, and the 3-month follow-up only after a yes to Q6."""
    instrument = instruments.INSTRUMENTS[code]
    if code != instruments.CSSRS:
        return [str(i) for i in range(len(instrument.items))]
    keys = ["q1", "q2"]
    if answers.get("q2") == 1:
        keys += list(_CSSRS_FOLLOW_Q2)
    keys.append("q6")
    if answers.get("q6") == 1:
        keys.append("q6_recent")
    return keys


def prune(code: str, answers: Mapping[str, int]) -> dict[str, int]:
    """Drop answers to questions that no longer apply (Q2 changed to no, say)."""
    keys = set(item_keys(code, answers))
    return {key: value for key, value in answers.items() if key in keys}


def next_key(code: str, answers: Mapping[str, int]) -> str | None:
    for key in item_keys(code, answers):
        if key not in answers:
            return key
    return None


def item(code: str, key: str, answers: Mapping[str, int]) -> Item | None:
    """The screen for ``key``, or None when it does not apply."""
    keys = item_keys(code, answers)
    if key not in keys:
        return None
    instrument = instruments.INSTRUMENTS[code]
    index = instrument.keys.index(key) if instrument.keys else int(key)
    return Item(
        code=code,
        key=key,
        number=keys.index(key) + 1,
        count=len(keys),
        text=instrument.items[index],
        stem=instrument.stem,
        options=instrument.options,
    )


def valid_value(code: str, value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    allowed = {v for v, _label in instruments.INSTRUMENTS[code].options}
    return number if number in allowed else None


def score_input(code: str, answers: Mapping[str, int]) -> object:
    """What ``instruments.score`` takes: item values in order, or the C-SSRS's yes/no mapping."""
    if code == instruments.CSSRS:
        return {key: answers[key] == 1 for key in item_keys(code, answers)}
    return [answers[key] for key in item_keys(code, answers)]
