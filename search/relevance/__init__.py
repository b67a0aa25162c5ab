"""The judged query set (`queries.toml`) and its evaluation: nDCG@10, precision@3 and the zero-result rate."""
