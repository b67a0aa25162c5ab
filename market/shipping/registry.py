"""The carrier of this deployment, built once per process from the settings."""

from __future__ import annotations

from market.settings import Settings
from market.shipping.vnpost import VnPost

_carriers: dict[int, VnPost] = {}


def carrier_for(settings: Settings) -> VnPost | None:
    """The Vietnam Post adapter, or None when `CARRIER_API_BASE` is not set."""
    if not settings.carrier_api_base:
        return None
    carrier = _carriers.get(id(settings))
    if carrier is None:
        carrier = _carriers[id(settings)] = VnPost(
            settings.carrier_api_base, settings.carrier_partner_id, settings.carrier_partner_secret,
            settings.carrier_webhook_secret, settings.carrier_timeout_s,
        )  # fmt: skip
    return carrier
