"""Answering questions from the knowledge base: retrieval, the decision, the answer text,
the question model, and `frontdesk eval`, which measures them as they are served."""
