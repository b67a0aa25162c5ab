"""Checkout: a cart becomes one order with one seller order per seller, its stock reserved exactly."""
