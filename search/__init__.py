"""Search: the store (catalogue and vectors) and, later, the query engine on top of it."""
