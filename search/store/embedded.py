"""The embedded backend: a library folder with a SQLite catalogue (WAL) and JPEG thumbnails.

Layout of a library:
    catalogue.sqlite     movies, shots, keyframes, scenes, texts, vectors as blobs (+ -wal/-shm while open)
    vectors/<kind>-<dim>.faiss  faiss indexes derived from the catalogue's vectors (rebuildable)
    thumbs/<movie>/<run>/ keyframe JPEGs of the committed run of each movie
    staging/<movie>/      in-progress work of an interrupted or running index (resumable)
    .lock                 single-writer lock (fcntl)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import os
import shutil
import sqlite3
import threading
import urllib.parse
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np

from cinesearch.search.store.base import Store, StoreError, VectorKind
from cinesearch.search.store.catalogue_rows import CatalogueRows
from cinesearch.search.store.integrity import check_movie, orphan_runs, writer_lock
from cinesearch.search.store.media_store import FolderMediaStore
from cinesearch.search.store.records import (
    Character,
    CheckReport,
    FaceTrack,
    Keyframe,
    Movie,
    MovieBundle,
    Scene,
    Shot,
    TextSegment,
)
from cinesearch.search.store.schema import SCHEMA_VERSION, current_version, migrate
from cinesearch.search.store.vectors import KINDS, IndexPolicy, VectorIndex

CATALOGUE = "catalogue.sqlite"


class EmbeddedStore(Store):
    backend = "embedded"

    def __init__(self, root: Path, *, create: bool = False):
        self.root = Path(root).resolve()
        self.media = FolderMediaStore(self.root)
        self.db_path = self.root / CATALOGUE
        if not self.db_path.exists():
            if not create:
                raise StoreError(f"{self.root}: no cinesearch library here (run 'cinesearch index' first)")
            self._create()
        # a library on a read-only disk or copied without write permission is still searched and
        # served; whatever must write says so (`writer`)
        self.read_only = not os.access(self.root, os.W_OK) or not os.access(self.db_path, os.W_OK)
        self._local = threading.local()
        self._conns: dict[int, sqlite3.Connection] = {}
        self._conns_lock = threading.Lock()
        self._index_lock = threading.RLock()   # faiss indexes: loaded, rebuilt and updated one at a time
        version = current_version(self._conn)
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.db_path}: schema version {version} is newer than this cinesearch "
                             f"({SCHEMA_VERSION}); upgrade cinesearch")
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise StoreError(f"{self.root}: library is read-only, and was written by an older cinesearch "
                                 f"(schema {version}); open a writable copy once to upgrade it")
            with self.writer():
                migrate(self._conn)
        self.policy: IndexPolicy | None = None
        self._indexes: dict[tuple[str, int], VectorIndex] = {}

    # -- setup -------------------------------------------------------------------------------
    def _create(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: exists and is not a directory")
        for sub in ("thumbs", "staging"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / ".lock").touch()
        conn = sqlite3.connect(self.db_path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            migrate(conn)
        finally:
            conn.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the catalogue. SQLite connections must not be shared by
        threads running statements at once, so each thread has its own (WAL lets them read while
        one writes); it is closed when its thread ends or the store closes."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._conns_lock:
                self._conns[id(conn)] = conn
            weakref.finalize(threading.current_thread(), self._forget, id(conn))
        return conn

    def _forget(self, key: int) -> None:
        with self._conns_lock:
            conn = self._conns.pop(key, None)
        if conn is not None:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's connection
        if self.read_only:
            conn = self._connect_read_only()
        else:
            conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=30.0, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """mode=ro reads a WAL catalogue when its -shm file can be made or exists; on a read-only
        disk it cannot, and immutable=1 (no locks, no WAL: the catalogue as last checkpointed,
        which closing the last writer does) is what SQLite offers."""
        uri = "file:" + urllib.parse.quote(str(self.db_path))
        try:
            conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None, timeout=30.0,
                                   check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False)

    def writer(self) -> contextlib.AbstractContextManager[None]:
        if self.read_only:
            raise StoreError(f"{self.root}: library is read-only (search and serve work; index, remove, "
                             "check --fix and migrate need write access)")
        return writer_lock(self.root)

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = list(self._conns.values()), {}
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # -- reads -------------------------------------------------------------------------------
    def _movie(self, row: sqlite3.Row) -> Movie:
        return Movie(
            id=row["id"], title=row["title"], year=row["year"], source=row["source"],
            content_hash=row["content_hash"], fingerprint=row["fingerprint"], profile=row["profile"],
            duration=row["duration"], n_frames=row["n_frames"], media=json.loads(row["media_json"]),
            meta=json.loads(row["meta_json"]), indexed_at=row["indexed_at"], thumbs_dir=row["thumbs_dir"],
            n_shots=row["n_shots"], n_scenes=row["n_scenes"], n_texts=row["n_texts"],
            layers=json.loads(row["layers_json"] or "{}"),
        )

    _MOVIE_SQL = """SELECT m.*,
        (SELECT COUNT(*) FROM shots s WHERE s.movie_id = m.id) AS n_shots,
        (SELECT COUNT(*) FROM scenes c WHERE c.movie_id = m.id) AS n_scenes,
        (SELECT COUNT(*) FROM texts t WHERE t.movie_id = m.id) AS n_texts
        FROM movies m"""

    def get_movie(self, movie_id: str) -> Movie | None:
        row = self._conn.execute(f"{self._MOVIE_SQL} WHERE m.id = ?", (movie_id,)).fetchone()
        return self._movie(row) if row else None

    def list_movies(self) -> list[Movie]:
        return [self._movie(r) for r in self._conn.execute(f"{self._MOVIE_SQL} ORDER BY m.id")]

    def get_shots(self, movie_id: str, first: int = 0, last: int | None = None, *,
                  appearance: bool = True) -> list[Shot]:
        hi = 2**62 if last is None else last
        app = "appearance" if appearance else "NULL AS appearance"
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT id, idx, start_s, end_s, start_frame, end_frame, {app}, visual FROM shots "
                "WHERE movie_id = ? AND idx BETWEEN ? AND ? ORDER BY idx", (movie_id, first, hi)).fetchall()
            kfs: dict[int, list[Keyframe]] = {}
            for k in conn.execute(
                    "SELECT k.shot_id, k.time_s, k.frame, k.path FROM keyframes k JOIN shots s ON s.id = k.shot_id "
                    "WHERE s.movie_id = ? AND s.idx BETWEEN ? AND ? ORDER BY k.shot_id, k.k", (movie_id, first, hi)):
                kfs.setdefault(k["shot_id"], []).append(Keyframe(k["time_s"], k["frame"], k["path"]))
        return [
            Shot(index=r["idx"], start=r["start_s"], end=r["end_s"], start_frame=r["start_frame"],
                 end_frame=r["end_frame"], keyframes=kfs.get(r["id"], []), id=r["id"],
                 appearance=_vec(r["appearance"]), visual=_vec(r["visual"]))
            for r in rows
        ]

    def get_scenes(self, movie_id: str) -> list[Scene]:
        return [
            Scene(r["idx"], r["start_s"], r["end_s"], r["first_shot"], r["last_shot"])
            for r in self._conn.execute(
                "SELECT * FROM scenes WHERE movie_id = ? ORDER BY idx", (movie_id,))
        ]

    def get_texts(self, movie_id: str, vectors: bool = False, first_shot: int | None = None,
                  last_shot: int | None = None) -> list[TextSegment]:
        if first_shot is None and last_shot is None:
            return [self._text(r, vectors) for r in self._conn.execute(
                "SELECT * FROM texts WHERE movie_id = ? ORDER BY start_s IS NULL, start_s, id", (movie_id,))]
        lo, hi = first_shot or 0, 2**62 if last_shot is None else last_shot
        return [self._text(r, vectors) for r in self._conn.execute(
            "SELECT * FROM texts WHERE movie_id = ? AND first_shot <= ? AND last_shot >= ? "
            "ORDER BY start_s IS NULL, start_s, id", (movie_id, hi, lo))]

    @staticmethod
    def _text(r: sqlite3.Row, vectors: bool) -> TextSegment:
        return TextSegment(r["kind"], r["source"], r["start_s"], r["end_s"], r["body"], first_shot=r["first_shot"],
                           last_shot=r["last_shot"], confidence=r["confidence"],
                           extra=json.loads(r["extra_json"]) if r["extra_json"] else {},
                           vector=_vec(r["vec"]) if vectors else None, id=r["id"])

    def get_tracks(self, movie_id: str) -> list[FaceTrack]:
        return [self._track(r) for r in self._conn.execute(
            "SELECT * FROM tracks WHERE movie_id = ? ORDER BY shot_idx, start_s, id", (movie_id,))]

    @staticmethod
    def _track(r: sqlite3.Row) -> FaceTrack:
        return FaceTrack(shot=r["shot_idx"], start=r["start_s"], end=r["end_s"], face=_vec(r["face"]), kind=r["kind"],
                         body=_vec(r["body"]), box=tuple(json.loads(r["box_json"])), quality=r["quality"],
                         detections=r["detections"], character=r["character"], confidence=r["confidence"],
                         id=r["id"])

    def lookup_tracks(self, ids: list[int]) -> dict[int, tuple[str, FaceTrack]]:
        out: dict[int, tuple[str, FaceTrack]] = {}
        for chunk in _chunks([int(i) for i in ids if i >= 0]):
            q = f"SELECT * FROM tracks WHERE id IN ({','.join('?' * len(chunk))})"
            out.update({r["id"]: (r["movie_id"], self._track(r)) for r in self._conn.execute(q, chunk)})
        return out

    def get_characters(self, movie_id: str) -> list[Character]:
        return [Character(r["name"], r["actor"], r["portrait"], _vec(r["face"])) for r in self._conn.execute(
            "SELECT * FROM characters WHERE movie_id = ? ORDER BY idx", (movie_id,))]

    def lookup_shots(self, ids: list[int]) -> dict[int, tuple[str, int]]:
        """Catalogue shot ids (as faiss returns them) -> (movie id, shot index)."""
        out: dict[int, tuple[str, int]] = {}
        for chunk in _chunks([int(i) for i in ids if i >= 0]):
            q = f"SELECT id, movie_id, idx FROM shots WHERE id IN ({','.join('?' * len(chunk))})"
            out.update({r["id"]: (r["movie_id"], r["idx"]) for r in self._conn.execute(q, chunk)})
        return out

    def lookup_texts(self, ids: list[int]) -> dict[int, tuple[str, TextSegment]]:
        """Catalogue text ids -> (movie id, text segment)."""
        out: dict[int, tuple[str, TextSegment]] = {}
        for chunk in _chunks([int(i) for i in ids if i >= 0]):
            q = f"SELECT * FROM texts WHERE id IN ({','.join('?' * len(chunk))})"
            out.update({r["id"]: (r["movie_id"], self._text(r, False)) for r in self._conn.execute(q, chunk)})
        return out

    def text_search(self, words: list[str], phrases: list[str], k: int,
                    movie_id: str | None = None) -> list[tuple[int, float]]:
        """BM25 over every text (FTS5): (text id, score), best first, higher is better. Any word
        may match; a phrase must match as a whole."""
        terms = [_fts_quote(w) for w in words if w.strip()] + [_fts_quote(p) for p in phrases if p.strip()]
        if not terms:
            return []
        expr = " OR ".join(terms)
        if phrases:
            expr = " AND ".join(_fts_quote(p) for p in phrases if p.strip()) + (f" AND ({expr})" if words else "")
        sql = "SELECT f.rowid, bm25(texts_fts) AS r FROM texts_fts f"
        args: list[object] = [expr]
        if movie_id is not None:
            sql += " JOIN texts t ON t.id = f.rowid WHERE texts_fts MATCH ? AND t.movie_id = ?"
            args.append(movie_id)
        else:
            sql += " WHERE texts_fts MATCH ?"
        sql += " ORDER BY r LIMIT ?"
        args.append(int(k))
        with self._read() as conn:
            return [(int(r[0]), -float(r[1])) for r in conn.execute(sql, args)]

    # -- vectors -----------------------------------------------------------------------------
    _VECTOR_SQL: ClassVar[dict[str, tuple[str, str]]] = {
        "text": ("texts", "vec"), "visual": ("shots", "visual"), "appearance": ("shots", "appearance"),
        "face": ("tracks", "face")}

    def generation(self) -> int:
        return int(self._conn.execute("SELECT value FROM state WHERE key = 'vectors_generation'").fetchone()[0])

    def vector_dims(self, kind: str) -> list[int]:
        table, col = self._VECTOR_SQL[kind]
        return [r[0] // 4 for r in self._conn.execute(
            f"SELECT DISTINCT length({col}) FROM {table} WHERE {col} IS NOT NULL")]

    def _vector_keys(self) -> list[tuple[str, int]]:
        """(kind, dimension) of every vector set the catalogue holds."""
        return [(kind, dim) for kind in KINDS for dim in self.vector_dims(kind)]

    def _rows(self, kind: str, dim: int) -> CatalogueRows:
        table, col = self._VECTOR_SQL[kind]
        return CatalogueRows(self._conn, table, col, dim)

    def _index(self, kind: str, dim: int) -> VectorIndex:
        key = (kind, dim)
        if key not in self._indexes:
            self._indexes[key] = VectorIndex(self.root / "vectors", kind, dim, self.policy, self.read_only)
        return self._indexes[key]

    def vector_index(self, kind: str, dim: int) -> VectorIndex:
        """The faiss index of one kind and dimension, current with the catalogue (reloaded after
        another process wrote, rebuilt when it is missing or stale)."""
        with self._index_lock:
            gen = self.generation()
            vi = self._index(kind, dim)
            stale = vi.index is None or vi.generation != gen
            if stale and (not vi.load() or vi.generation != gen):
                with self._read():   # the generation and every chunk of rows from one snapshot
                    vi.rebuild(self._rows(kind, dim), self.generation())
            return vi

    def vector_search(self, kind: VectorKind | str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Nearest catalogue rows (shot ids for visual/appearance, text ids for text) by inner
        product with L2-normalised queries."""
        kind = VectorKind.of(kind)
        q = np.atleast_2d(np.asarray(queries, np.float32))
        with self._index_lock:   # a writer in this process updates the index in place
            return self.vector_index(kind, q.shape[1]).search(q, k)

    def _sync_vectors(self, generation: int, removed: dict[tuple[str, int], list[int]],
                      added: dict[tuple[str, int], tuple[list[int], list[np.ndarray]]]) -> None:
        """After a committed write: bring every index file to `generation`, incrementally."""
        with self._index_lock:
            self._sync_vectors_locked(generation, removed, added)

    def _sync_vectors_locked(self, generation: int, removed: dict[tuple[str, int], list[int]],
                             added: dict[tuple[str, int], tuple[list[int], list[np.ndarray]]]) -> None:
        on_disk = {(kind, int(dim)) for p in (self.root / "vectors").glob("*.faiss")
                   for kind, _, dim in [p.stem.partition("-")] if kind in KINDS and dim.isdigit()}
        for kind, dim in sorted(set(self._vector_keys()) | set(added) | set(removed) | on_disk):
            vi = self._index(kind, dim)
            ids, vecs = added.get((kind, dim), ([], []))
            gone = removed.get((kind, dim), [])
            if not ids and not gone:
                vi.mark_generation(generation)
                continue
            vi.update(gone, np.asarray(ids, np.int64),
                      np.stack(vecs) if vecs else np.zeros((0, dim), np.float32), generation,
                      functools.partial(self._rows, kind, dim))

    def _bump_generation(self, conn: sqlite3.Connection) -> int:
        conn.execute("UPDATE state SET value = CAST(value AS INTEGER) + 1 WHERE key = 'vectors_generation'")
        return int(conn.execute("SELECT value FROM state WHERE key = 'vectors_generation'").fetchone()[0])

    def _movie_vector_ids(self, conn: sqlite3.Connection, movie_id: str) -> dict[tuple[str, int], list[int]]:
        """The row ids of a movie's vectors, per (kind, dimension): exactly what each index holds of it."""
        out: dict[tuple[str, int], list[int]] = {}
        for kind, (table, col) in self._VECTOR_SQL.items():
            for row_id, size in conn.execute(
                    f"SELECT id, length({col}) FROM {table} WHERE movie_id = ? AND {col} IS NOT NULL", (movie_id,)):
                out.setdefault((kind, size // 4), []).append(row_id)
        return out

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so multi-statement reads see one consistent snapshot."""
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        row = self._conn.execute("SELECT hash FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
                                 (path, size, mtime_ns)).fetchone()
        return row[0] if row else None

    # -- writes ------------------------------------------------------------------------------
    def staging_dir(self, movie_id: str) -> Path:
        return self.root / "staging" / movie_id

    def put_movie(self, bundle: MovieBundle, staged_thumbs: Path) -> None:
        movie = bundle.movie
        run = f"{movie.fingerprint[:12]}-{_dt.datetime.now(_dt.UTC).strftime('%Y%m%d%H%M%S%f')}"
        rel = self.media.publish(staged_thumbs, movie.id, run)
        indexed_at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        conn = self._conn
        added: dict[tuple[str, int], tuple[list[int], list[np.ndarray]]] = {}

        def remember(kind: str, row_id: int, vec: np.ndarray | None) -> bytes | None:
            if vec is None:
                return None
            v = np.asarray(vec, np.float32).reshape(-1)
            ids, vecs = added.setdefault((kind, len(v)), ([], []))
            ids.append(row_id)
            vecs.append(v)
            return v.tobytes()

        conn.execute("BEGIN IMMEDIATE")
        try:
            removed = self._movie_vector_ids(conn, movie.id)
            conn.execute("DELETE FROM movies WHERE id = ?", (movie.id,))
            conn.execute(
                "INSERT INTO movies (id, title, year, source, content_hash, fingerprint, profile, duration, "
                "n_frames, media_json, meta_json, thumbs_dir, indexed_at, layers_json) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (movie.id, movie.title, movie.year, movie.source, movie.content_hash, movie.fingerprint,
                 movie.profile, movie.duration, movie.n_frames, json.dumps(movie.media),
                 json.dumps(movie.meta, ensure_ascii=False), rel, indexed_at, json.dumps(movie.layers)))
            for shot in bundle.shots:
                cur = conn.execute(
                    "INSERT INTO shots (movie_id, idx, start_s, end_s, start_frame, end_frame) VALUES (?,?,?,?,?,?)",
                    (movie.id, shot.index, shot.start, shot.end, shot.start_frame, shot.end_frame))
                sid = _last_id(cur)
                conn.execute("UPDATE shots SET appearance = ?, visual = ? WHERE id = ?",
                             (remember("appearance", sid, shot.appearance), remember("visual", sid, shot.visual), sid))
                conn.executemany(
                    "INSERT INTO keyframes (shot_id, k, time_s, frame, path) VALUES (?,?,?,?,?)",
                    [(sid, k, kf.time, kf.frame, f"{rel}/{kf.path}") for k, kf in enumerate(shot.keyframes)])
            conn.executemany(
                "INSERT INTO scenes (movie_id, idx, start_s, end_s, first_shot, last_shot) VALUES (?,?,?,?,?,?)",
                [(movie.id, s.index, s.start, s.end, s.first_shot, s.last_shot) for s in bundle.scenes])
            for t in bundle.texts:
                cur = conn.execute(
                    "INSERT INTO texts (movie_id, kind, source, start_s, end_s, body, first_shot, last_shot, "
                    "confidence, extra_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (movie.id, t.kind, t.source, t.start, t.end, t.text, t.first_shot, t.last_shot, t.confidence,
                     json.dumps(t.extra, ensure_ascii=False) if t.extra else None))
                tid = _last_id(cur)
                if t.vector is not None:
                    conn.execute("UPDATE texts SET vec = ? WHERE id = ?", (remember("text", tid, t.vector), tid))
            for tr in bundle.tracks:
                cur = conn.execute(
                    "INSERT INTO tracks (movie_id, shot_idx, start_s, end_s, kind, body, box_json, quality, "
                    "detections, character, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (movie.id, tr.shot, tr.start, tr.end, tr.kind, None if tr.body is None else
                     np.asarray(tr.body, np.float32).tobytes(), json.dumps([round(v, 5) for v in tr.box]),
                     tr.quality, tr.detections, tr.character, tr.confidence))
                tid = _last_id(cur)
                conn.execute("UPDATE tracks SET face = ? WHERE id = ?", (remember("face", tid, tr.face), tid))
            conn.executemany(
                "INSERT INTO characters (movie_id, idx, name, actor, portrait, face) VALUES (?,?,?,?,?,?)",
                [(movie.id, i, c.name, c.actor, c.portrait,
                  None if c.face is None else np.asarray(c.face, np.float32).tobytes())
                 for i, c in enumerate(bundle.characters)])
            conn.execute("INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, hash) VALUES (?,?,?,?)",
                         (movie.source, bundle.source_size, bundle.source_mtime_ns, movie.content_hash))
            generation = self._bump_generation(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self.media.unpublish(movie.id, run, staged_thumbs)
            raise
        self._sync_vectors(generation, removed, added)
        self.media.keep_only(movie.id, run)   # old runs of this movie are unreachable now

    def remove_movie(self, movie_id: str) -> bool:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            removed = self._movie_vector_ids(conn, movie_id)
            gone = conn.execute("DELETE FROM movies WHERE id = ?", (movie_id,)).rowcount > 0
            generation = self._bump_generation(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._sync_vectors(generation, removed, {})
        self.media.keep_only(movie_id, None)
        shutil.rmtree(self.staging_dir(movie_id), ignore_errors=True)
        return gone

    def _orphan_runs(self) -> list[str]:
        return orphan_runs(self.media, {r[0] for r in self._conn.execute("SELECT thumbs_dir FROM movies")})

    def collect_garbage(self) -> list[str]:
        removed: list[str] = []
        for run in self._orphan_runs():
            self.media.drop_run(run)
            removed.append(run)
        return removed

    def refresh_indexes(self) -> list[str]:
        gen, rebuilt = self.generation(), []
        for kind, dim in self._vector_keys():
            vi = self._index(kind, dim)
            if (vi.index is None and not vi.load()) or vi.generation != gen:
                self.vector_index(kind, dim)
                rebuilt.append(f"vectors/{kind}-{dim}.faiss")
        return rebuilt

    # -- integrity ---------------------------------------------------------------------------
    def check(self) -> CheckReport:
        report = CheckReport()
        conn = self._conn
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            report.errors.append(f"catalogue: {integrity}")
        for row in conn.execute("PRAGMA foreign_key_check"):
            report.errors.append(f"catalogue: dangling reference in {row[0]} row {row[1]}")
        for movie in self.list_movies():
            check_movie(self, movie, report)
        for run in self._orphan_runs():
            report.warnings.append(f"{run}: thumbnails of no committed movie (removed on the next index)")
        gen = self.generation()
        for kind, dim in self._vector_keys():
            vi = self._index(kind, dim)
            if (vi.index is None and not vi.load()) or vi.generation != gen:
                report.warnings.append(f"vectors/{kind}-{dim}.faiss: behind the catalogue (rebuilt on the next "
                                       f"search)")
                continue
            table, col = self._VECTOR_SQL[kind]
            rows = self._conn.execute(f"SELECT COUNT(*) FROM {table} WHERE length({col}) = ?", (dim * 4,)).fetchone()[0]
            if vi.size != rows:
                report.errors.append(f"vectors/{kind}-{dim}.faiss: holds {vi.size} vectors, the catalogue {rows}")
        staging = self.root / "staging"
        for left in sorted(staging.iterdir()) if staging.is_dir() else []:
            report.warnings.append(f"movie {left.name!r}: an interrupted index run; run 'cinesearch index' again "
                                   f"to finish it")
        return report


def _last_id(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None   # set by every INSERT
    return int(cur.lastrowid)


def _vec(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, np.float32) if blob else None


def _fts_quote(text: str) -> str:
    """One FTS5 string token: user text never reaches the query syntax (quotes doubled)."""
    return '"' + text.replace('"', '""') + '"'


def _chunks(items: list[int], size: int = 900) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
