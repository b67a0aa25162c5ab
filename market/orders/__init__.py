"""Orders: one buyer's order, one seller order per seller, and the seller orders' lifecycle."""
