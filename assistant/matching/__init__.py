"""Matching: pairs and groups, their modes and life cycle (the pairing engine comes later)."""
