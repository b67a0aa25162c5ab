"""Development stand-ins for third parties that cannot run here (bank feed, Stripe, Zalo ZNS, SMS, mail): each a
small app speaking the provider's wire format, which the tests and `deploy/dev run` start. The carrier's simulator
predates this package and lives in `market.shipping.simulator`."""
