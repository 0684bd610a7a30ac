"""The ingest: a movie (video, movie.json, subtitles, script, portraits) through its layers
(`layers/`: shots, vision, clip, faces, speech, text, ordered by a registry) into one atomic write
to the store. `pipeline.Indexer` orchestrates; `decode` is the one decode pass."""
