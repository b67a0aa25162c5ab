"""Carts that span sellers: guest and customer carts in Redis."""
