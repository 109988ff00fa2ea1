"""Frontdesk ingestion: knowledge-base markdown in, a versioned ChromaDB index out."""
