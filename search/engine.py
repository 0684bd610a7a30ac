"""The query engine: retrieve per modality, fuse, find candidate movies, focus each sentence onto
a span, re-rank, explain. Everything goes through the `Store` interface, so the embedded and the
Elasticsearch backends answer the same way.

    retrieve  MiniLM vector -> texts (faiss) | BM25 -> texts (FTS5) | CLIP text -> shot images
    fuse      weighted reciprocal-rank fusion of the shots those hits lie on, per sentence
    find      movies ranked by fused evidence (+ paragraph-to-synopsis/plot similarity)
    focus     per candidate and sentence: calibrated shot scores -> max-sum span -> cue times;
              a paragraph's sentences aligned in order
    re-rank   by focus score; every clip says why it matched
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cinesearch import models
from cinesearch.search import focus as F
from cinesearch.search.cast import CastHit, CastSearch
from cinesearch.search.concept_bank import LabelSpace, bank_scores, contributors
from cinesearch.search.encoders import Encoders, default_encoders
from cinesearch.search.fusion import FusionWeights, ranked, rrf
from cinesearch.search.movie_view import TIMED_KINDS, MovieView, ViewCache
from cinesearch.search.query import Query, keywords
from cinesearch.search.relevance import STRONG, RelevanceFloor, clip_strength
from cinesearch.search.similar import SimilarShots
from cinesearch.search.store import Movie, Retrieval, Shot, Store, TextSegment
from cinesearch.search.tags import TagIndex

DENSE_K = 200        # nearest texts per sentence from faiss
BM25_K = 200         # keyword hits per sentence
VISUAL_K = 200       # nearest shot images per sentence (CLIP)
CANDIDATES = 8       # movies the focus step looks into
WINDOW_PAD = 24      # shots read around the retrieved evidence of a candidate movie
WINDOW_MAX = 400     # most shots of one movie the focus step reads
PER_MOVIE = 3        # clips one movie may contribute for a one-sentence query
BM25_SHOT_WEIGHT = 0.35   # a keyword hit on a shot, relative to a cosine of 1.0
TAG_BOOST = 0.3      # how much a learned tag response lifts a clip when the query also names tags


@dataclass
class Clip:
    movie_id: str
    title: str | None
    start: float
    end: float
    score: float
    shots: tuple[int, int]
    thumbnail: str | None = None
    why: list[dict[str, Any]] = field(default_factory=list)
    focus: list[dict[str, Any]] = field(default_factory=list)   # per sentence, for paragraphs
    scenes: tuple[int, int] | None = None    # the scenes a paragraph's event span was snapped to
    strength: float | None = None            # calibrated against chance (search.relevance); None: not rated

    def as_dict(self) -> dict[str, Any]:
        d = {"movie_id": self.movie_id, "title": self.title, "start": round(self.start, 3), "end": round(self.end, 3),
             "score": round(self.score, 4), "shots": list(self.shots), "thumbnail": self.thumbnail, "why": self.why}
        if self.strength is not None:
            d["strength"], d["strong"] = round(self.strength, 3), self.strength >= STRONG
        if self.focus:
            d["focus"] = self.focus
        if self.scenes is not None:
            d["scenes"] = list(self.scenes)
        return d


@dataclass
class _Hits:
    """One sentence's evidence from the whole library."""
    dense: dict[int, float] = field(default_factory=dict)      # text id -> cosine
    bm25: dict[int, float] = field(default_factory=dict)       # text id -> bm25
    visual: dict[int, float] = field(default_factory=dict)     # shot id -> cosine
    movie_rank: list[str] = field(default_factory=list)        # movies by fused evidence
    places: dict[str, list[int]] = field(default_factory=dict)  # movie -> shot indices of its hits, best first


@dataclass
class _Evidence:
    """What scored one sentence's shots in one movie: per-text scores and, per shot, the text that
    gave its score (-1: none). Explanations are built only for the spans kept."""
    dense: np.ndarray | None = None
    dense_src: np.ndarray | None = None
    bm25: np.ndarray | None = None
    bm25_src: np.ndarray | None = None
    visual: np.ndarray | None = None
    bank: np.ndarray | None = None          # per shot: the sentence against its label probabilities
    bank_names: Callable[[int], list[str]] | None = None   # shot -> the classes that gave its bank score
    dense_weight: float = 1.0     # what one unit of each score adds to a shot's score
    bm25_weight: float = BM25_SHOT_WEIGHT
    bank_weight: float = 0.0

    def why(self, view: MovieView, first: int, last: int, keep: int = 4) -> list[dict[str, Any]]:
        """The texts that scored the span, strongest first by what each added to its shot's score
        (a cosine and a normalised BM25 score are on different scales; their contributions are not)."""
        found: list[dict[str, Any]] = []
        for modality, scores, src, weight in (("text", self.dense, self.dense_src, self.dense_weight),
                                              ("bm25", self.bm25, self.bm25_src, self.bm25_weight)):
            if scores is None or src is None:
                continue
            for i in sorted({int(i) for i in src[first:last + 1] if i >= 0}):
                if modality == "text" or scores[i] > 0:
                    found.append({**_why(modality, view.texts[i], float(scores[i])),
                                  "weight": round(weight * float(scores[i]), 4)})
        found.sort(key=lambda w: -w["weight"])
        out = found[:keep]
        if self.visual is not None:
            j = first + int(np.argmax(self.visual[first:last + 1]))
            out.append({"modality": "visual", "score": round(float(self.visual[j]), 4), "shot": j})
        if self.bank is not None and self.bank_names is not None:
            j = first + int(np.argmax(self.bank[first:last + 1]))
            if self.bank[j] > 0:
                shot = view.shots[j]
                out.append({"modality": "bank", "score": round(float(self.bank[j]), 4), "shot": j,
                            "labels": self.bank_names(j), "start": round(shot.start, 3), "end": round(shot.end, 3),
                            "weight": round(self.bank_weight * float(self.bank[j]), 4)})
        return out


class SearchEngine:
    def __init__(self, store: Store, encoders: Encoders | None = None, weights: FusionWeights | None = None):
        self.store = store
        self._encoders = encoders
        self.weights = weights or FusionWeights.from_env()
        self.views = ViewCache(store)
        self.tags = TagIndex(store, lambda: self.encoders)
        self.cast = CastSearch(store)
        self.similar_shots = SimilarShots(store)
        self.floor = RelevanceFloor(store, lambda: self.encoders)
        self._own_encoders = encoders is None   # the packaged ones: class vectors come from the disk cache
        self._classes: LabelSpace | None = None
        self._classes_known = False
        self._movies: tuple[int, dict[str, Movie]] | None = None   # (generation, movies): swapped whole

    @property
    def encoders(self) -> Encoders:
        if self._encoders is None:
            self._encoders = default_encoders()
        return self._encoders

    def class_space(self) -> LabelSpace | None:
        """The classifier's classes as sentence vectors, by the engine's text encoder (concept-bank
        scoring); None when either cannot be had. Once per engine."""
        if not self._classes_known:
            if self.encoders.text is None:
                self._classes = None
            elif self._own_encoders:
                space = models.class_space()
                self._classes = LabelSpace(*space) if space is not None else None
            else:
                names = models.class_space_names()
                self._classes = LabelSpace.of(names, self.encoders.text) if names is not None else None
            self._classes_known = True
        return self._classes

    def movies(self) -> dict[str, Movie]:
        gen = self.store.generation()
        cached = self._movies
        if cached is None or cached[0] != gen:
            cached = (gen, {m.id: m for m in self.store.list_movies()})
            self._movies = cached
        return cached[1]

    # -- public ------------------------------------------------------------------------------
    def search(self, q: Query, limit: int = 10, face: np.ndarray | None = None) -> dict[str, Any]:
        """`face`: the embedding of an uploaded face photo (see models.faces), searched for as a person."""
        t0 = time.perf_counter()
        allowed = self._allowed_movies(q)
        notes: list[str] = []
        if face is not None:
            clips = self._cast_clips(self.cast.by_face(face, allowed))
            if q.text or q.tags:
                notes.append("with a face photo, the text and tags of the query only filter by movie")
        elif q.text:
            clips = self._text_search(q, allowed, limit, notes)
            sentences = [keywords(s) for s in (q.sentences or [q.text])]
            self._rate(clips, sentences)
        elif q.tags:
            clips = self._tag_search(q.tags, allowed, limit)
            self._rate(clips, [list(q.tags)])
        else:
            hits, faceless = self.cast.by_names(q.cast, allowed, sorted(allowed or ()))
            clips = self._cast_clips(hits)
            if faceless:
                clips += self._cast_search(q.cast, set(faceless), limit)
                notes.append(f"no portrait face for {', '.join(q.cast)} in {', '.join(faceless)}: "
                             "found by the lines that name them")
        for c in clips:
            if c.strength is None:
                c.strength = 1.0     # people: found by a face within the face model's threshold
        clips.sort(key=lambda c: c.strength is not None and c.strength < STRONG)   # stable: strong first
        results = [c.as_dict() for c in clips[:limit]]
        return {"query": q.as_dict(), "results": results, "notes": notes,
                "relevance": {"strong": sum(1 for r in results if r.get("strong")), "floor": STRONG},
                "took_ms": round((time.perf_counter() - t0) * 1000, 1)}

    def _rate(self, clips: list[Clip], sentences: list[list[str]]) -> None:
        """Each clip's strength against chance (search.relevance); strong clips come first."""
        if not clips:
            return
        null = self.floor.null()
        for c in clips:
            c.strength = clip_strength(c.why, null, sentences)

    def similar(self, movie_id: str, shot: int, limit: int = 10, movies: list[str] | None = None) -> dict[str, Any]:
        """More like this: the shots that look like shot `shot` of `movie_id` (raises
        search.similar.ShotNotFound when there is no such shot), in `movies` only when given."""
        t0 = time.perf_counter()
        known = self.movies()
        allowed = {m for m in movies if m in known} if movies else None
        example, found = self.similar_shots.neighbours(known.get(movie_id), movie_id, shot, self.weights.as_dict(),
                                                       limit, allowed)
        notes = [] if example.visual is not None else \
            ["compared by appearance only (no CLIP vector for this shot; see README, Models)"]
        cards = self.store.describe_shots([n.key for n in found])
        clips: list[Clip] = []
        for n in found:
            mid, idx = n.key
            if n.key not in cards or mid not in known:
                continue
            s, texts = cards[n.key]
            why: list[dict[str, Any]] = [{"modality": m, "score": round(c, 4), "like": [movie_id, example.index]}
                                         for m, c in sorted(n.cosines.items(), key=lambda mc: -mc[1])]
            shows = next((t.text for t in texts if t.kind == "concepts"), None)
            if shows:
                why[0]["shows"] = shows
            clips.append(Clip(mid, known[mid].title, s.start, s.end, n.score, (idx, idx), _thumbnail(s), why))
        like = {"movie_id": movie_id, "title": known[movie_id].title, "shot": example.index,
                "start": round(example.start, 3), "end": round(example.end, 3), "thumbnail": _thumbnail(example)}
        return {"query": {"like": like, "movies": sorted(allowed or [])}, "results": [c.as_dict() for c in clips],
                "notes": notes, "took_ms": round((time.perf_counter() - t0) * 1000, 1)}

    # -- filters -----------------------------------------------------------------------------
    def _allowed_movies(self, q: Query) -> set[str] | None:
        movies = self.movies()
        allowed: set[str] | None = None
        if q.movies:
            allowed = {m for m in q.movies if m in movies}
        if q.cast:
            names = {c.lower() for c in q.cast}
            with_cast = {mid for mid, m in movies.items() if names & _cast_names(m)}
            allowed = with_cast if allowed is None else allowed & with_cast
        return allowed

    # -- retrieval ---------------------------------------------------------------------------
    def _retrieve(self, sentences: list[str], vecs: np.ndarray | None, clip_vecs: np.ndarray | None,
                  phrases: list[str], allowed: set[str] | None,
                  paragraph_vec: np.ndarray | None = None) -> tuple[list[_Hits], list[tuple[int, float]]]:
        """Every first-stage search of the query in one store call (one `_msearch` on
        Elasticsearch): per sentence dense texts, BM25 and CLIP shots, plus the whole paragraph's
        nearest texts (for story similarity). Returns the per-sentence hits and the paragraph's."""
        requests: list[Retrieval] = []
        for si, sentence in enumerate(sentences):
            if vecs is not None and len(vecs):
                requests.append(Retrieval("text", DENSE_K, vector=vecs[si]))
            requests.append(Retrieval("bm25", BM25_K, tuple(keywords(sentence)), tuple(phrases)))
            if clip_vecs is not None and len(clip_vecs):
                requests.append(Retrieval("visual", VISUAL_K, vector=clip_vecs[si]))
        if paragraph_vec is not None:
            requests.append(Retrieval("text", DENSE_K, vector=paragraph_vec))
        answers = iter(self.store.retrieve(requests))
        hits = [_Hits() for _ in sentences]
        for h in hits:
            if vecs is not None and len(vecs):
                h.dense = dict(next(answers))
            h.bm25 = dict(next(answers))
            if clip_vecs is not None and len(clip_vecs):
                h.visual = dict(next(answers))
        story = next(answers) if paragraph_vec is not None else []
        text_ids = {i for h in hits for i in (*h.dense, *h.bm25)}
        texts = self.store.lookup_texts(sorted(text_ids))
        shots = self.store.lookup_shots(sorted({i for h in hits for i in h.visual}))
        for h in hits:
            scored: list[tuple[float, str, int]] = []
            top_bm25 = max(h.bm25.values(), default=1.0)
            for i, score in [*h.dense.items(), *((i, 0.5 * s / top_bm25) for i, s in h.bm25.items())]:
                seg = texts[i][1] if i in texts else None
                if seg is not None and seg.first_shot is not None:
                    first_shot = seg.first_shot
                    last = seg.last_shot if seg.last_shot is not None else first_shot
                    scored += [(score, texts[i][0], first_shot), (score, texts[i][0], last)]
            scored += [(s, *shots[i]) for i, s in h.visual.items() if i in shots]
            for _, mid, idx in sorted(scored, key=lambda x: -x[0]):
                h.places.setdefault(mid, []).append(idx)
            per_modality = {
                "text": [texts[i][0] for i in sorted(h.dense, key=lambda i: -h.dense[i]) if i in texts],
                "bm25": [texts[i][0] for i in sorted(h.bm25, key=lambda i: -h.bm25[i]) if i in texts],
                "visual": [shots[i][0] for i in sorted(h.visual, key=lambda i: -h.visual[i]) if i in shots],
            }
            if allowed is not None:
                per_modality = {k: [m for m in v if m in allowed] for k, v in per_modality.items()}
            h.movie_rank = ranked(rrf(per_modality, self.weights.as_dict()))
        return hits, story

    # -- text queries ------------------------------------------------------------------------
    def _text_search(self, q: Query, allowed: set[str] | None, limit: int, notes: list[str]) -> list[Clip]:
        sentences = q.sentences or [q.text]
        enc = self.encoders
        paragraph = len(sentences) > 1
        if paragraph and q.shot:
            notes.append("shot: filters apply to the clips of one-sentence queries; this paragraph is not filtered")
        vecs = enc.text([*sentences, q.text] if paragraph else sentences) if enc.text is not None else None
        if enc.text is None:
            notes.append("text embeddings are off (MiniLM not available): keyword search only")
        clip_vecs = enc.clip_text(sentences) if enc.clip_text is not None else None
        sent_vecs = vecs[:len(sentences)] if vecs is not None else None
        space = self.class_space() if sent_vecs is not None else None
        bank_w = space.weights(sent_vecs) if space is not None and sent_vecs is not None else None
        hits, story_hits = self._retrieve(sentences, sent_vecs, clip_vecs, q.phrases, allowed,
                                          vecs[-1] if paragraph and vecs is not None else None)

        # find: movies by fused evidence over all sentences, plus paragraph-to-story similarity
        votes: dict[str, float] = {}
        for h in hits:
            for rank, mid in enumerate(h.movie_rank[:50], start=1):
                votes[mid] = votes.get(mid, 0.0) + 1.0 / (10 + rank)
        candidates = ranked(votes)[:CANDIDATES]
        if not candidates:
            return []
        movies = self.movies()
        stories = self._story_similarity(story_hits)
        for mid, score in stories.items():
            if allowed is None or mid in allowed:
                votes[mid] = votes.get(mid, 0.0) + 0.5 * score
        candidates = ranked(votes)[:CANDIDATES]
        clips: list[Clip] = []
        windows = {mid: _window([h.places.get(mid, []) for h in hits]) for mid in candidates}
        self.views.prefetch([(movies[mid], *windows[mid]) for mid in candidates])
        for mid in candidates:
            first, last = windows[mid]
            view = self.views.get(movies[mid], first, last)
            if not view.shots:
                continue
            raw, evidence = self._shot_scores(view, sentences, sent_vecs, clip_vecs, hits, bank_w)
            keep = shots_with(view, q.shot) if q.shot and not paragraph else None
            if keep is not None and not keep.any():
                continue
            if paragraph:
                clips.append(self._focus_paragraph(view, sentences, raw, evidence, stories.get(mid, 0.0)))
            else:
                clips += self._focus_sentence(view, raw[0], evidence[0], keep)
        if q.tags:
            self._boost_by_tags(clips, q.tags)
        clips.sort(key=lambda c: -c.score)
        return clips

    def _shot_scores(self, view: MovieView, sentences: list[str], vecs: np.ndarray | None,
                     clip_vecs: np.ndarray | None, hits: list[_Hits],
                     bank_w: np.ndarray | None = None) -> tuple[np.ndarray, list[_Evidence]]:
        """Raw per-shot score for each sentence (sentences x shots) and the evidence behind it.
        `bank_w`: each sentence's weights over the classifier's classes (search.concept_bank)."""
        n = len(view.shots)
        bank = view.bank(bank_w.shape[1]) if bank_w is not None else None
        raw = np.zeros((len(sentences), n))
        evidence = [_Evidence(dense_weight=self.weights.text, bm25_weight=self.weights.bm25 * BM25_SHOT_WEIGHT,
                              bank_weight=self.weights.bank) for _ in sentences]
        dense = view.text_vecs @ vecs.T if vecs is not None and len(view.texts) else None
        index = {t.id: i for i, t in enumerate(view.texts)}
        for si in range(len(sentences)):
            ev = evidence[si]
            if dense is not None:
                ev.dense = dense[:, si]
                value, ev.dense_src = view.shot_max(ev.dense)
                raw[si] += self.weights.text * value
            kw = hits[si].bm25   # the library-wide BM25 hits, normalised by the best of them
            top = max(kw.values(), default=0.0)
            if top > 0 and any(tid in kw for tid in index):
                ev.bm25 = np.zeros(len(view.texts))
                for tid, i in index.items():
                    if tid in kw:
                        ev.bm25[i] = kw[tid] / top
                value, ev.bm25_src = view.shot_max(ev.bm25)
                raw[si] += self.weights.bm25 * BM25_SHOT_WEIGHT * value
            if clip_vecs is not None and view.visual is not None and view.visual.shape[1] == clip_vecs.shape[1]:
                ev.visual = view.visual @ clip_vecs[si]
                raw[si] += self.weights.visual * ev.visual
            if bank is not None and bank_w is not None and bank_w[si].any():
                weights_si, space = bank_w[si], self.class_space()
                ev.bank = bank_scores(bank, weights_si)
                raw[si] += self.weights.bank * ev.bank
                if space is not None:
                    ev.bank_names = lambda j, w=weights_si, names=space.names: contributors(bank[j], w, names)
        return raw, evidence

    def _story_similarity(self, paragraph_hits: list[tuple[int, float]]) -> dict[str, float]:
        """Per movie, the best cosine between the whole paragraph and its plot or synopsis text."""
        found = self.store.lookup_texts([i for i, _ in paragraph_hits])
        out: dict[str, float] = {}
        for i, s in paragraph_hits:
            if i in found and found[i][1].kind in ("plot", "synopsis"):
                mid = found[i][0]
                out[mid] = max(out.get(mid, 0.0), s)
        return out

    def _clip_for(self, view: MovieView, first: int, last: int, score: float, why: list[dict],
                  matches: list[tuple[float, float]]) -> Clip:
        shots = view.shots
        start, end = F.tighten((shots[first].start, shots[last].end), matches)
        return Clip(view.movie.id, view.movie.title, start, end, score, (first + view.offset, last + view.offset),
                    _thumbnail(shots[(first + last) // 2]), why)

    def _focus_sentence(self, view: MovieView, raw: np.ndarray, ev: _Evidence,
                        keep: np.ndarray | None = None) -> list[Clip]:
        """`keep`: the shots a `shot:` filter allows; a span never crosses one it does not."""
        values = F.calibrate(raw) - F.THRESHOLD
        out: list[Clip] = []
        masked = values.copy()
        if keep is not None:
            masked[~keep] = -np.inf
        for _ in range(PER_MOVIE):
            first, last, total = F.max_sum_span(masked)
            if out and total <= 0:
                break
            best = first + int(np.argmax(raw[first:last + 1]))
            why = ev.why(view, first, last)
            out.append(self._clip_for(view, first, last, float(raw[best]), why, _timed_matches(why)))
            masked[first:last + 1] = -np.inf
            if np.isneginf(masked).all():
                break
        return out

    def _focus_paragraph(self, view: MovieView, sentences: list[str], raw: np.ndarray,
                         evidence: list[_Evidence], story: float) -> Clip:
        cal = np.stack([F.calibrate(r) for r in raw]) - F.THRESHOLD
        anchors = F.align_in_order(cal + 0.25 * raw)   # order first; raw breaks calibrated ties
        parts: list[dict] = []
        all_why: list[dict] = []
        for si, anchor in enumerate(anchors):
            lo = anchors[si - 1] if si else 0
            hi = anchors[si + 1] if si + 1 < len(anchors) else len(view.shots) - 1
            first, last = F.span_around(cal[si], anchor, lo, hi)
            why = evidence[si].why(view, first, last)
            clip = self._clip_for(view, first, last, float(raw[si][anchor]), why, _timed_matches(why))
            parts.append({"sentence": sentences[si], "start": round(clip.start, 3), "end": round(clip.end, 3),
                          "shots": list(clip.shots), "score": round(clip.score, 4), "local": (first, last)})
            all_why += [dict(w, sentence=si) for w in why[:2]]
        score = float(np.mean([p["score"] for p in parts])) + 0.2 * story
        if story > 0:
            all_why.append({"modality": "story", "score": round(story, 4)})
        head = self._clip_for(view, parts[0].pop("local")[0], parts[-1]["local"][1], score, all_why, [])
        for part in parts:
            part.pop("local", None)
        head.start, head.end = parts[0]["start"], parts[-1]["end"]
        head.focus = parts
        scenes = [(sc.start, sc.end) for sc in self.store.get_scenes(view.movie.id)]
        snapped = F.snap_to_scenes((head.start, head.end), scenes)
        if snapped is not None:   # an event told in a paragraph comes back as its scene(s)
            head.start, head.end = min(head.start, snapped[0]), max(head.end, snapped[1])
            head.scenes = (snapped[2], snapped[3])
        return head

    # -- tags and cast -----------------------------------------------------------------------
    def _boost_by_tags(self, clips: list[Clip], tags: list[str]) -> None:
        for c in clips:
            boost = 0.0
            for tag in tags:
                resp = self.tags.response(tag, c.movie_id, c.shots)
                boost += resp.score
                if resp.score > 0:
                    c.why.append(resp.why())
            c.score += TAG_BOOST * boost / max(1, len(tags))

    def _tag_search(self, tags: list[str], allowed: set[str] | None, limit: int) -> list[Clip]:
        movies = self.movies()
        ranked_shots = self.tags.search(tags, allowed, limit * 3)
        clips = []
        for hit in ranked_shots:
            view = self.views.get(movies[hit.movie_id], hit.shot, hit.shot)
            if not view.shots:
                continue
            shot = view.shots[0]
            clips.append(Clip(hit.movie_id, view.movie.title, shot.start, shot.end, hit.score, (hit.shot, hit.shot),
                              _thumbnail(shot), hit.why))
        return clips[:limit]

    def _cast_clips(self, hits: list[CastHit]) -> list[Clip]:
        movies = self.movies()
        out = []
        for h in hits:
            view = self.views.get(movies[h.movie_id], h.shot, h.shot)
            out.append(Clip(h.movie_id, movies[h.movie_id].title, h.start, h.end, h.score, (h.shot, h.shot),
                            _thumbnail(view.shots[0]) if view.shots else None, h.why))
        return out

    def _cast_search(self, cast: list[str], allowed: set[str] | None, limit: int) -> list[Clip]:
        """A name without a face index (the cast issue adds faces): the scenes whose texts say the
        name, in the movies whose cast lists it."""
        movies = self.movies()
        clips: list[Clip] = []
        for mid in sorted(allowed or ()):
            said = self.store.text_search([], cast, 20, movie_id=mid)
            found = self.store.lookup_texts([tid for tid, _ in said])
            for tid, score in said:
                t = found[tid][1] if tid in found else None
                if t is None or t.first_shot is None or t.last_shot is None:
                    continue
                view = self.views.get(movies[mid], t.first_shot, t.last_shot)
                if not view.shots:
                    continue
                clip = self._clip_for(view, 0, len(view.shots) - 1, score, [_why("bm25", t, score)],
                                      [(t.start, t.end)] if t.kind in TIMED_KINDS and t.start is not None
                                      and t.end is not None else [])
                clip.why.append({"modality": "cast", "names": cast})
                clips.append(clip)
        clips.sort(key=lambda c: -c.score)
        return clips[:limit]


# -- helpers ---------------------------------------------------------------------------------------
def _cast_names(movie: Movie) -> set[str]:
    names: set[str] = set()
    for entry in movie.meta.get("cast") or []:
        if isinstance(entry, dict):
            names |= {str(entry[k]).lower() for k in ("character", "actor") if entry.get(k)}
    return names


def _thumbnail(shot: Shot) -> str | None:
    """A shot's card picture: its middle keyframe."""
    kf = shot.keyframes
    return kf[len(kf) // 2].path if kf else None


def _why(modality: str, t: TextSegment, score: float) -> dict[str, Any]:
    d: dict[str, Any] = {"modality": modality, "kind": t.kind, "text": t.text[:300], "score": round(score, 4)}
    if t.kind in ("subtitle", "transcript", "description"):
        d["source"] = t.source
    for key in ("lang", "forced", "sdh"):
        if t.extra.get(key):
            d[key] = t.extra[key]
    if t.start is not None:
        d["start"], d["end"] = round(t.start, 3), round(t.end if t.end is not None else t.start, 3)
    return d


def shots_with(view: MovieView, wanted: list[str]) -> np.ndarray:
    """Per shot of the view: does it carry every film-language attribute asked for (the `tags` the
    indexer stores with each shot's concepts text)?"""
    keep = np.zeros(len(view.shots), dtype=bool)
    want = set(wanted)
    for t in view.texts:
        if t.kind == "concepts" and t.first_shot is not None and want <= set(t.extra.get("tags") or ()):
            j = t.first_shot - view.offset
            if 0 <= j < len(keep):
                keep[j] = True
    return keep


def _window(places: list[list[int]]) -> tuple[int, int]:
    """The shots of a candidate to read: every sentence's evidence with a margin, at most
    WINDOW_MAX shots (then centred on the best piece of evidence)."""
    flat = [i for p in places for i in p]
    if not flat:
        return 0, WINDOW_MAX - 1
    lo, hi = max(0, min(flat) - WINDOW_PAD), max(flat) + WINDOW_PAD
    if hi - lo + 1 > WINDOW_MAX:
        best = next(p[0] for p in places if p)
        lo = max(0, best - WINDOW_MAX // 2)
        hi = lo + WINDOW_MAX - 1
    return lo, hi


def _timed_matches(evidence: list[dict]) -> list[tuple[float, float]]:
    """Times of the timed texts that carried the span (cues, transcript, descriptions): the focus
    narrows the span to them (see focus.strongest_evidence). Narrowing onto the shot of the
    strongest untimed evidence (a caption, a bank) instead was tried: on Big Buck Bunny it moved
    credit queries onto the wrong page of a scroll (text R@5 0.71 -> 0.57)."""
    return F.strongest_evidence([(w["start"], w["end"], float(w.get("weight", w["score"]))) for w in evidence
                                 if w.get("kind") in TIMED_KINDS and "start" in w])
