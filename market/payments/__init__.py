"""Payments: how an order is paid (card, cash on delivery), behind one gateway protocol."""
