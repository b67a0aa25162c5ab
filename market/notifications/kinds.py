"""The kinds of message, who receives each, and how each maps onto a Zalo ZNS template.

A kind is `optional` when the recipient may turn it off altogether (its emails carry an unsubscribe link);
the others tell of money or of a problem to act on and always go out on at least one channel. `promotional` kinds
are marketing: off unless the recipient opted in, and on SMS they obey Decree 91/2020 (07:00-22:00, 3 a day, [QC]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["buyer", "seller"]
Channel = Literal["zns", "sms", "email"]
Language = Literal["vi", "en"]
FALLBACK_ORDER: tuple[Channel, ...] = ("zns", "sms", "email")
"""The order in which channels are tried: Zalo first, then SMS, then email."""


@dataclass(frozen=True)
class Kind:
    """One kind of message."""

    name: str
    audience: Audience
    optional: bool
    zns_template: int
    """The Zalo template id of the Vietnamese template; the English one is `zns_template + 1`."""
    zns_params: tuple[str, ...]
    """The template's parameters, read from the message's data (never a link: ZNS forbids them in the body)."""
    promotional: bool = False

    def zns_template_id(self, language: Language) -> str:
        return str(self.zns_template + (1 if language == "en" else 0))


_ORDER = ("order_code", "amount")
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # Buyers.
        Kind("order_placed", "buyer", False, 310100, _ORDER),
        Kind("payment_received", "buyer", False, 310110, _ORDER),
        Kind("order_packed", "buyer", True, 310120, ("order_code", "shop_name")),
        Kind("order_handed_over", "buyer", True, 310130, ("order_code", "tracking_code")),
        Kind("order_out_for_delivery", "buyer", True, 310140, ("order_code", "tracking_code")),
        Kind("order_delivered", "buyer", True, 310150, ("order_code", "shop_name")),
        Kind("delivery_failed", "buyer", False, 310160, ("order_code", "tracking_code")),
        Kind("order_returned", "buyer", True, 310170, ("order_code", "shop_name")),
        Kind("order_refunded", "buyer", False, 310180, _ORDER),
        Kind("return_decided", "buyer", False, 310190, ("order_code", "decision")),
        Kind("marketing", "buyer", True, 310900, ("title",), promotional=True),
        # Sellers.
        Kind("seller_new_order", "seller", False, 320100, _ORDER),
        Kind("seller_order_cancelled", "seller", False, 320110, ("order_code", "reason")),
        Kind("seller_payment_received", "seller", False, 320120, _ORDER),
        Kind("seller_parcel_problem", "seller", False, 320130, ("order_code", "problem")),
        Kind("seller_low_stock", "seller", True, 320140, ("sku", "available")),
        Kind("seller_certification_expiring", "seller", True, 320150, ("product_name", "valid_until")),
        Kind("seller_product_rejected", "seller", False, 320160, ("product_name", "reason")),
        Kind("seller_product_taken_down", "seller", False, 320170, ("product_name", "reason")),
        Kind("seller_payout_sent", "seller", False, 320180, ("amount", "reference")),
        Kind("seller_webhook_disabled", "seller", False, 320190, ("endpoint_host",)),
    )
}

DEFAULT_CHANNELS: dict[Audience, tuple[Channel, ...]] = {"buyer": FALLBACK_ORDER, "seller": ("email",)}
"""Channels a recipient who chose nothing gets: a buyer Zalo first (then SMS, then email), a seller email (a shop
reads its orders at a desk; it can add Zalo or SMS in its preferences)."""


def kinds_of(audience: Audience) -> list[Kind]:
    return [kind for kind in KINDS.values() if kind.audience == audience]
