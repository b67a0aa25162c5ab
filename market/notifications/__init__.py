"""Notifications: outbox events become messages to buyers and sellers, by Zalo ZNS, SMS or email.

`jobs.py` turns each event into queued deliveries (inside the event's handler transaction: no provider is called),
`delivery.py` is the worker loop that sends them (outside any transaction) and records the outcome, `channels/`
speak to the providers, `render.py` renders the Jinja2 templates in `templates/`.
"""
