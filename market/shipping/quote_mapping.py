"""Quoted parcels to their answers: the quote endpoint's and the cart's per-seller estimate."""

from __future__ import annotations

from collections.abc import Sequence

from market.geo.service import UNITS_VERSION, province_out, ward_out
from market.shipping.estimates import Place, SellerShipping, total_fee
from market.shipping.quote_schemas import (
    DestinationOut,
    PerishabilityOut,
    SellerQuoteOut,
    ServiceOut,
    ShippingEstimateOut,
    ShippingQuoteOut,
)
from market.shipping.quotes import Options


def estimate_out(options: Options) -> ShippingEstimateOut:
    route, chosen = options.route, options.chosen
    refused = [ServiceOut(quote.service, quote.fee, quote.transit_days) for quote in options.refused]
    return ShippingEstimateOut(
        available=chosen is not None,
        service=chosen.service if chosen else None,
        shipping_fee=chosen.fee if chosen else None,
        transit_days=chosen.transit_days if chosen else None,
        zone=options.zone,
        weight_g=route.weight_g,
        origin_province=province_out(route.origin_province),
        perishability=PerishabilityOut(route.shelf_life_days, refused),
        unavailable_code=None if chosen else "no_shipping_service",
    )


def destination_out(place: Place) -> DestinationOut:
    ward = ward_out(place.ward_code) if place.ward_code is not None else None
    return DestinationOut(province_out(place.province_code), ward, UNITS_VERSION)


def quote_out(place: Place, payment_method: str, parcels: Sequence[SellerShipping]) -> ShippingQuoteOut:
    fee = total_fee(parcels)
    sellers = [SellerQuoteOut(parcel.seller, estimate_out(parcel.options)) for parcel in parcels]
    return ShippingQuoteOut(destination_out(place), payment_method, sellers, fee, deliverable=fee is not None)
