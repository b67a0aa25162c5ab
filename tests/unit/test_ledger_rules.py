"""The posting rules as arithmetic: where a seller order's money stands for each state it can be in."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from market.ledger import accounts, rules
from market.orders.money import MoneyFacts

CARD = MoneyFacts(
    seller_order_id="sor_1", order_id="ord_1", seller_id="sel_1", status="confirmed", payment_method="card",
    paid=True, subtotal=200_000, final_subtotal=None, shipping_fee=30_000, cod_collected=None, cod_remitted=None,
    returned_amount=0, commission_ppm=80_000, commission_fixed=0, tax_vat_bps=100, tax_pit_bps=50,
)  # fmt: skip
COD = replace(CARD, payment_method="cod", paid=False)


def test_a_paid_card_sale_is_pending_net_of_commission_and_tax() -> None:
    money = rules.split(CARD)
    assert money == rules.Split(received=230_000, refunded=0, shipping=30_000, commission=16_000, vat=2_000,
                                pit=1_000, net=181_000, released=False)  # fmt: skip
    assert rules.target(CARD)[accounts.pending("sel_1")] == -181_000
    assert rules.split(replace(CARD, paid=False)) == rules.Split()


def test_lighter_catch_weight_and_returns_refund_goods_only() -> None:
    money = rules.split(replace(CARD, final_subtotal=190_000, returned_amount=40_000, status="completed"))
    assert (money.refunded, money.shipping, money.released) == (50_000, 30_000, True)
    assert money.vat == 1_500 and money.pit == 750 and money.commission == 12_000 and money.net == 135_750


def test_cod_is_nothing_until_collected_and_available_only_once_remitted() -> None:
    assert rules.target(COD) == {}
    collected = replace(COD, status="completed", final_subtotal=210_000, cod_collected=240_000)
    assert rules.split(collected).received == 240_000 and not rules.split(collected).released
    assert rules.split(replace(collected, cod_remitted=240_000)).released
    assert accounts.COD_RECEIVABLE in rules.target(collected)


def test_gone_gives_everything_back() -> None:
    for status in rules.GONE:
        assert rules.split(replace(CARD, status=status, final_subtotal=150_000)) == rules.Split(230_000, 230_000)


def test_fixed_commission_never_takes_more_than_the_goods_left() -> None:
    money = rules.split(replace(CARD, commission_ppm=0, commission_fixed=500_000))
    assert money.net == 0 and money.commission == 200_000 - money.vat - money.pit


def test_the_difference_takes_what_was_posted_to_the_target() -> None:
    posted = rules.target(CARD)
    later = rules.target(replace(CARD, status="completed"))
    lines = rules.difference(later, posted)
    assert {line.account: line.amount for line in lines} == {accounts.pending("sel_1"): 181_000,
                                                            accounts.available("sel_1"): -181_000}  # fmt: skip
    assert rules.difference(later, later) == []


@given(
    method=st.sampled_from(["card", "cod", "bank"]), status=st.sampled_from(
        ["confirmed", "packed", "delivered", "completed", "cancelled", "returned", "refunded"]),
    subtotal=st.integers(0, 10**9), final=st.none() | st.integers(0, 10**9), shipping=st.integers(0, 10**6),
    collected=st.none() | st.integers(0, 10**9), returned=st.integers(0, 10**9), ppm=st.integers(0, 1_000_000),
    fixed=st.integers(0, 10**6), vat=st.integers(0, 1000), pit=st.integers(0, 1000),
)  # fmt: skip
def test_every_position_balances_and_nothing_is_negative(
    method: str, status: str, subtotal: int, final: int | None, shipping: int, collected: int | None, returned: int,
    ppm: int, fixed: int, vat: int, pit: int,
) -> None:  # fmt: skip
    facts = replace(CARD, payment_method=method, status=status, subtotal=subtotal, final_subtotal=final,
                    shipping_fee=shipping, cod_collected=collected, returned_amount=returned, commission_ppm=ppm,
                    commission_fixed=fixed, tax_vat_bps=vat, tax_pit_bps=pit)  # fmt: skip
    money = rules.split(facts)
    assert sum(rules.target(facts).values()) == 0
    parts = (money.refunded, money.shipping, money.commission, money.vat, money.pit, money.net)
    assert all(part >= 0 for part in parts) and sum(parts) == money.received
