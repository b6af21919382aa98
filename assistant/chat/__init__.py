"""Chat: stored conversations, the offline assistant, the OpenAI-compatible endpoint."""
