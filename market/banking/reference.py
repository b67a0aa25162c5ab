"""Payment references: the short code a buyer's transfer text carries, derived from the order id, and found again
in the text as banks deliver it (spaces, case, prefixes and suffixes of their own).

A reference is the prefix (BANK_REFERENCE_PREFIX, `MK`), 10 characters of the order id's random part (50 bits,
upper-case Crockford base32) and a check character, e.g. `MK7Q3ZK9PAXYX`. Banking apps and statement feeds mangle
the text (`CT DEN:0123 MK 7Q3Z K9PA XYX NGUYEN VAN A`, `mk7q3zk9paxyx-chuyen tien`), so the text is folded (upper
case, letters and digits only, O read as 0 and I/L as 1) and every run after the prefix whose check character
agrees is a candidate; the check character makes a stray match of a word in the text about 1 in 32.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, upper case
BODY = 10
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def check_char(body: str) -> str:
    """A sum of the body's characters weighted by odd numbers, mod 32: one mistyped character always changes it
    (an odd weight times a difference below 32 is never a multiple of 32), most swapped neighbours too."""
    return ALPHABET[sum((2 * index + 1) * _VALUE[char] for index, char in enumerate(body)) % 32]


def reference_of(order_id: str, prefix: str = "MK") -> str:
    """The payment reference of an order (the same every time: checkout and the order's reads agree)."""
    body = order_id[-BODY:].upper()
    return f"{prefix}{body}{check_char(body)}"


def candidates(text: str, prefix: str = "MK") -> list[str]:
    """Every reference this transfer text may carry, in the order found (usually none or one)."""
    folded = _NOT_ALNUM.sub("", text.upper())
    found: list[str] = []
    start = folded.find(prefix)
    while start != -1:
        run = folded[start + len(prefix) : start + len(prefix) + BODY + 1].translate(_FOLD)
        if len(run) == BODY + 1 and all(char in _VALUE for char in run) and check_char(run[:BODY]) == run[BODY]:
            reference = f"{prefix}{run}"
            if reference not in found:
                found.append(reference)
        start = folded.find(prefix, start + 1)
    return found
