"""Model loading: one registry resolves a model name to weights; each model loads once per process."""
