"""Participants: profiles, skills, goals, availability, and their API keys."""
