"""Catalogue schema with numbered migrations, tracked by SQLite's user_version."""

from __future__ import annotations

import sqlite3

# Each migration is one script; a script split on ';' unless it is a list of statements (triggers
# hold ';' inside their bodies).
MIGRATIONS: list[str | list[str]] = [
    # 1: movies, shots, keyframes, scenes, and a cache of file content hashes.
    """
    CREATE TABLE movies (
        id TEXT PRIMARY KEY,
        title TEXT,
        year INTEGER,
        source TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        profile TEXT NOT NULL,
        duration REAL NOT NULL,
        n_frames INTEGER NOT NULL,
        media_json TEXT NOT NULL,
        meta_json TEXT NOT NULL,
        thumbs_dir TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    );
    CREATE TABLE shots (
        id INTEGER PRIMARY KEY,
        movie_id TEXT NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        start_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL,
        appearance BLOB,
        UNIQUE (movie_id, idx)
    );
    CREATE TABLE keyframes (
        shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
        k INTEGER NOT NULL,
        time_s REAL NOT NULL,
        frame INTEGER NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (shot_id, k)
    );
    CREATE TABLE scenes (
        movie_id TEXT NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        first_shot INTEGER NOT NULL,
        last_shot INTEGER NOT NULL,
        PRIMARY KEY (movie_id, idx)
    );
    CREATE TABLE file_hashes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    """,
    # 2: timed texts (subtitle cues now; transcript, OCR and aligned script lines later).
    """
    CREATE TABLE texts (
        id INTEGER PRIMARY KEY,
        movie_id TEXT NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        start_s REAL,
        end_s REAL,
        body TEXT NOT NULL
    );
    CREATE INDEX texts_movie ON texts (movie_id, start_s);
    """,
    # 3: understanding: CLIP vectors on shots; texts placed on shots, with alignment confidence,
    # kind-specific details and their embedding; per-layer fingerprints; the vector generation
    # that faiss indexes are checked against.
    """
    ALTER TABLE shots ADD COLUMN visual BLOB;
    ALTER TABLE texts ADD COLUMN first_shot INTEGER;
    ALTER TABLE texts ADD COLUMN last_shot INTEGER;
    ALTER TABLE texts ADD COLUMN confidence REAL;
    ALTER TABLE texts ADD COLUMN extra_json TEXT;
    ALTER TABLE texts ADD COLUMN vec BLOB;
    ALTER TABLE movies ADD COLUMN layers_json TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO state (key, value) VALUES ('vectors_generation', '0');
    """,
    # 4: BM25 over every text (FTS5, external content on `texts`, kept in step by triggers; cascaded
    # deletes from movies fire them too). Porter stemming so "dancing" finds "dance".
    [
        "CREATE VIRTUAL TABLE texts_fts USING fts5(body, content='texts', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER texts_fts_ai AFTER INSERT ON texts BEGIN "
        "INSERT INTO texts_fts (rowid, body) VALUES (new.id, new.body); END",
        "CREATE TRIGGER texts_fts_ad AFTER DELETE ON texts BEGIN "
        "INSERT INTO texts_fts (texts_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
        "CREATE TRIGGER texts_fts_au AFTER UPDATE OF body ON texts BEGIN "
        "INSERT INTO texts_fts (texts_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        "INSERT INTO texts_fts (rowid, body) VALUES (new.id, new.body); END",
        "INSERT INTO texts_fts (texts_fts) VALUES ('rebuild')",
    ],
    # 5: the focus step reads a window of a movie's texts by shot.
    "CREATE INDEX texts_shots ON texts (movie_id, first_shot, last_shot)",
    # 6: cast: face tracks (face vector for faiss, body vector for visual links), bodies seen without
    # a usable face, and the characters named in movie.json with their portrait's face.
    """
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        movie_id TEXT NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
        shot_idx INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        kind TEXT NOT NULL,              -- "face" (a face track) or "person" (a body without a usable face)
        face BLOB,
        body BLOB,
        box_json TEXT NOT NULL,
        quality REAL NOT NULL,
        detections INTEGER NOT NULL,
        character TEXT,
        confidence REAL
    );
    CREATE INDEX tracks_movie ON tracks (movie_id, shot_idx);
    CREATE TABLE characters (
        movie_id TEXT NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        actor TEXT,
        portrait TEXT,
        face BLOB,
        PRIMARY KEY (movie_id, idx)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations, each in its own transaction. Returns the version reached."""
    version = current_version(conn)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            script = MIGRATIONS[target - 1]
            for statement in script if isinstance(script, list) else _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current_version(conn)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
