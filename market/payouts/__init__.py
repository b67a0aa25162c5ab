"""Paying sellers: their bank accounts, payout batches with bank exports, statements."""
