"""Pairing runs: the engine's suggestions for a cohort, kept for staff to review."""
