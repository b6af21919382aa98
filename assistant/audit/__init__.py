"""Audit trail: every staff decision and every status change, append-only."""
