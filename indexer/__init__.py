"""The ingest pipeline: movie input -> decoded frames -> shots -> keyframes -> scenes -> store."""
