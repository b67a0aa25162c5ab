"""The catalog: categories, products, variants, certifications."""
