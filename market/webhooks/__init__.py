"""Seller webhooks: endpoints a seller's owner registers, signed deliveries of seller-facing events, their log."""
