"""Bank transfers: VietQR payment instructions at checkout, the bank feed's credits stored once and matched to
orders by their payment reference, and the operators' queue of credits that matched nothing."""
