"""The seller ledger: double-entry accounts and append-only journal entries in VND, the posting rules that turn
order events into entries, commissions and the platform's tax withholding."""
