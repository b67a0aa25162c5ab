"""Shipping: what a parcel costs (a rate table until the carrier adapter quotes), later parcels and tracking."""
