"""WordNet 3.0 nouns, read straight from the database files Debian ships (`wordnet-base`:
/usr/share/wordnet/index.noun and data.noun, 15 MB). ImageNet labels are WordNet nouns, so a label
can be widened with its synonyms and the more general words above it ("hare" also answers
"rabbit" and "mammal").

Nothing is loaded up front: index.noun is sorted, so a lemma is found by binary search over the
file, and a synset's offset *is* its byte offset in data.noun, so it is one seek and one line. A
film's few hundred labels cost a few thousand small reads, and no memory."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from cinesearch.models.registry import ModelUnavailable, resolve

# Too general to help a search: every physical thing would carry them.
_TOO_GENERAL = frozenset({"entity", "physical entity", "abstraction", "abstract entity", "object", "physical object",
                          "whole", "unit", "living thing", "animate thing", "organism", "being", "causal agent",
                          "cause", "causal agency", "matter", "artifact", "artefact", "instrumentality",
                          "instrumentation", "thing", "group", "grouping", "attribute", "relation", "measure",
                          "quantity", "amount", "psychological feature", "event", "act", "deed", "human action",
                          "human activity", "vertebrate", "craniate", "chordate", "placental", "placental mammal",
                          "eutherian", "eutherian mammal", "device", "structure", "construction", "commodity",
                          "trade good", "good", "container", "covering", "equipment", "implement"})
# Everyday category words worth adding from anywhere up the chain ("hare" -> "mammal", "animal").
_BASIC = frozenset({"animal", "mammal", "bird", "fish", "reptile", "amphibian", "insect", "rodent", "primate",
                    "monkey", "ape", "dog", "cat", "bear", "horse", "cattle", "plant", "flower", "tree", "fruit",
                    "vegetable", "food", "vehicle", "car", "boat", "ship", "aircraft", "building", "house",
                    "furniture", "clothing", "garment", "weapon", "musical instrument", "tool", "toy", "ball",
                    "person", "landscape", "water", "rock", "stone", "mushroom", "fungus", "snake", "lizard",
                    "crustacean", "shellfish", "seabird", "bird of prey", "dinosaur"})
# Senses under these are places and the like, never what an image label means.
_NOT_SEEN = frozenset({"location", "region", "geographic point", "administrative district", "city"})


class WordNet:
    """Lemma lookups (binary search in index.noun) and synsets by offset (seek in data.noun)."""

    def __init__(self, folder: Path) -> None:
        index, data = folder / "index.noun", folder / "data.noun"
        if not index.is_file() or not data.is_file():
            raise ModelUnavailable(f"wordnet: index.noun and data.noun not found in {folder}")
        self._index = open(index, "rb")   # noqa: SIM115 - held for the process, like a model's weights
        self._data = open(data, "rb")     # noqa: SIM115
        self._index_size = os.fstat(self._index.fileno()).st_size
        self._lock = threading.Lock()     # the two files are read by seek + readline

    def senses(self, lemma: str) -> list[int]:
        """Offsets of the noun senses of `lemma` (spaces as underscores), most common first."""
        key = lemma.encode("latin-1", "replace")
        with self._lock:
            lo, hi = 0, self._index_size
            while lo < hi:                       # first line whose lemma >= key
                mid = (lo + hi) // 2
                self._index.seek(mid)
                if mid:
                    self._index.readline()       # skip to the start of the next line
                line = self._index.readline()
                if not line or line.split(b" ", 1)[0] >= key:
                    hi = mid
                else:
                    lo = mid + 1
            self._index.seek(lo)
            if lo:
                self._index.readline()
            while True:                          # the match, if any, is the first lemma >= key from here
                line = self._index.readline()
                if not line:
                    return []
                if line.startswith(b" "):        # the licence lines at the top
                    continue
                found = line.split(b" ", 1)[0]
                if found >= key:
                    break
            if found != key:
                return []
        parts = line.decode("latin-1").split()
        n_senses, n_ptr = int(parts[2]), int(parts[3])
        return [int(o) for o in parts[4 + n_ptr + 2:][:n_senses]]

    @functools.lru_cache(maxsize=4096)   # noqa: B019 - one instance per process (models.wordnet_nouns)
    def synset(self, offset: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """(words, hypernym offsets) of the synset at `offset`."""
        with self._lock:
            self._data.seek(offset)
            line = self._data.readline().decode("latin-1")
        head = line.split(" | ", 1)[0].split()
        n_words = int(head[3], 16)
        words = tuple(head[4 + 2 * k].replace("_", " ").split("(")[0] for k in range(n_words))
        at = 4 + 2 * n_words
        ups = tuple(int(head[at + 2 + 4 * k]) for k in range(int(head[at]))
                    if head[at + 1 + 4 * k] in ("@", "@i") and head[at + 3 + 4 * k] == "n")
        return words, ups

    def _chain(self, offset: int, limit: int = 20) -> list[int]:
        """The synsets above one, nearest first (every parent, breadth first)."""
        out: list[int] = []
        level = [offset]
        for _ in range(limit):
            level = [u for s in level for u in self.synset(s)[1] if u not in out]
            if not level:
                break
            out += level
        return out

    def sense(self, label: str, prefer: str | None = None) -> int | None:
        """The sense an image label means: the first whose chain holds `prefer` (the plain group word
        the label came with, such as "dog"), else the first that is not a place."""
        key = label.strip().lower().replace(" ", "_")
        senses = self.senses(key) or self.senses(key.replace("-", "_"))
        names = [{w.lower() for s in self._chain(o) for w in self.synset(s)[0]} for o in senses]
        if prefer:
            for o, chain in zip(senses, names, strict=True):
                if prefer.lower() in chain:
                    return o
        for o, chain in zip(senses, names, strict=True):
            if not chain & _NOT_SEEN:
                return o
        return None

    def widen(self, label: str, prefer: str | None = None, depth: int = 2, most: int = 4) -> list[str]:
        """Synonyms of the label's sense, the words of the synsets up to `depth` levels above it, and
        any everyday category word further up ("mammal", "animal"); general words are left out."""
        first = self.sense(label, prefer)
        if first is None:
            return []
        seen = {label.strip().lower()}
        out: list[str] = []

        def add(words: tuple[str, ...]) -> None:
            for w in words[:2]:
                if w.lower() not in seen and w.lower() not in _TOO_GENERAL:
                    seen.add(w.lower())
                    out.append(w)

        add(self.synset(first)[0])
        level = [first]
        for _ in range(depth):
            level = [u for s in level for u in self.synset(s)[1]]
            for s in level:
                add(self.synset(s)[0])
        near = out[:most]
        basic = [w for s in self._chain(first) for w in self.synset(s)[0][:1]
                 if w.lower() in _BASIC and w.lower() not in seen]
        return near + list(dict.fromkeys(basic))[:3]


def load_wordnet() -> WordNet:
    path = resolve("wordnet")   # Debian's /usr/share/wordnet, or the folder CINESEARCH_WORDNET names
    return WordNet(path if path.is_dir() else path.parent)
