"""Tandem: an AI-augmented mentoring assistant service."""

__version__ = "0.1.0"
