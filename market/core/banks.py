"""The banks of the NAPAS network, as data: each bank's 6-digit BIN (the id VietQR codes and bulk transfers use),
its code and its names. The list is `market/core/data/napas_banks.csv`; add a row when NAPAS adds a member."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Bank:
    """One NAPAS member bank."""

    bin: str
    code: str
    short_name: str
    name: str


@cache
def napas_banks() -> dict[str, Bank]:
    """Every NAPAS member bank by BIN, in the file's order."""
    text = resources.files("market.core").joinpath("data/napas_banks.csv").read_text(encoding="utf-8")
    return {row["bin"]: Bank(**row) for row in csv.DictReader(text.splitlines())}


def bank(bin_: str) -> Bank | None:
    """The bank with this BIN, or None when NAPAS has no such member."""
    return napas_banks().get(bin_)
