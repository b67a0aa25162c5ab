"""Marketplace operators: staff who verify sellers and moderate listings."""
