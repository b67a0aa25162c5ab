"""The HTTP layer every context shares: sessions, CSRF, auth schemes, problem rendering, request ids, access log,
metrics and the injected parameter types. Litestar is imported only here, in `*/api.py`, `market/app.py` and the
simulators."""
