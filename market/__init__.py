"""market: the backend of a provincial agricultural marketplace."""

import os

__version__ = "0.1.0"

# Piccolo finds its engine through this variable; every entry point (API, worker, CLI, tests) shares it.
os.environ.setdefault("PICCOLO_CONF", "market.piccolo_conf")
