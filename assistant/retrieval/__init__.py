"""Retrieval: the vector store (Chroma) that guidance and session notes are indexed in."""
