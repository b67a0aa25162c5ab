"""Payment references: derived from the order id, found again in whatever the banks make of the transfer text, and
the VietQR payload of every reference decodes back to the transfer asked for."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from market.banking.reference import ALPHABET, candidates, check_char, reference_of
from market.core.ids import new_id
from market.core.vietqr import Transfer, decode, encode

ORDER_IDS = st.builds(lambda _: new_id("ord"), st.integers())
NOISE = st.text(alphabet=string.ascii_letters + string.digits + " .-:/", max_size=40)


def mangle(reference: str, cuts: list[int], lower: list[bool]) -> str:
    """Spaces or dashes inserted, case changed character by character (what banking apps do)."""
    out = []
    for index, char in enumerate(reference):
        if index in cuts:
            out.append(" " if index % 2 else "-")
        out.append(char.lower() if lower[index % len(lower)] else char)
    return "".join(out)


@settings(max_examples=300)
@given(ORDER_IDS, NOISE, NOISE, st.lists(st.integers(1, 12), max_size=4), st.lists(st.booleans(), min_size=1))
def test_a_reference_is_found_in_mangled_text(order_id: str, before: str, after: str, cuts: list[int],
                                               lower: list[bool]) -> None:  # fmt: skip
    reference = reference_of(order_id)
    text = f"{before} {mangle(reference, cuts, lower)} {after}"

    assert reference in candidates(text)


@given(ORDER_IDS, st.integers(0, 9), st.sampled_from(ALPHABET))
def test_one_mistyped_character_is_always_caught(order_id: str, position: int, typed: str) -> None:
    reference = reference_of(order_id)
    body = reference[2:12]
    wrong = body[:position] + typed + body[position + 1 :]

    assert (check_char(wrong) == reference[-1]) == (wrong == body)
    assert candidates(f"CK {reference[:2]}{wrong}{reference[-1]}") == ([reference] if wrong == body else [])


@given(ORDER_IDS, st.integers(1, 10_000_000_000))
def test_every_payload_decodes_to_its_transfer(order_id: str, amount: int) -> None:
    reference = reference_of(order_id)
    payload = encode(Transfer("970436", "0071000888888", amount, reference))

    assert decode(payload) == Transfer("970436", "0071000888888", amount, reference)
    assert len(reference) == 13 and reference.isalnum() and reference.isupper()


def test_text_without_a_reference_has_no_candidates() -> None:
    assert candidates("chuyen tien mua rau MK") == []
    assert all(len(found) == 13 for found in candidates("MKMKMKMKMKMKMKMK"))
