"""Sessions: scheduling, notes with visibility, action items."""
