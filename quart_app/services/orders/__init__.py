"""The orders feature: the catalog, placing orders and moving them along."""
