"""Sellers (households, cooperatives, enterprises), their members and their API keys."""
