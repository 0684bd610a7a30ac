"""Thin user-facing layers over search and the indexer: the CLI now, the Flask app later."""
