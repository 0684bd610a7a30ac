"""WordNet 3.0 nouns, read straight from the database files Debian ships (`wordnet-base`:
/usr/share/wordnet/index.noun and data.noun, 15 MB). ImageNet labels are WordNet nouns, so a label
can be widened with its synonyms and the more general words above it ("hare" also answers
"rabbit" and "mammal")."""

from __future__ import annotations

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
    """Noun synsets by offset and lemmas to synsets, loaded once (about 1 s)."""

    def __init__(self, folder: Path) -> None:
        index, data = folder / "index.noun", folder / "data.noun"
        if not index.is_file() or not data.is_file():
            raise ModelUnavailable(f"wordnet: index.noun and data.noun not found in {folder}")
        self._senses: dict[str, list[int]] = {}
        with open(index, encoding="latin-1") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                parts = line.split()
                n_ptr = int(parts[3])
                n_senses = int(parts[2])
                offsets = parts[4 + n_ptr + 2:]
                self._senses[parts[0]] = [int(o) for o in offsets[:n_senses]]
        self._words: dict[int, list[str]] = {}
        self._up: dict[int, list[int]] = {}
        with open(data, encoding="latin-1") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                head = line.split(" | ", 1)[0].split()
                offset, n_words = int(head[0]), int(head[3], 16)
                words = [head[4 + 2 * k].replace("_", " ") for k in range(n_words)]
                at = 4 + 2 * n_words
                n_ptr = int(head[at])
                ups = []
                for k in range(n_ptr):
                    sym, target, pos = head[at + 1 + 4 * k], head[at + 2 + 4 * k], head[at + 3 + 4 * k]
                    if sym in ("@", "@i") and pos == "n":
                        ups.append(int(target))
                self._words[offset] = [_plain(w) for w in words]
                self._up[offset] = ups

    def _chain(self, offset: int, limit: int = 20) -> list[int]:
        """The synsets above one, nearest first (every parent, breadth first)."""
        out: list[int] = []
        level = [offset]
        for _ in range(limit):
            level = [u for s in level for u in self._up.get(s, []) if u not in out]
            if not level:
                break
            out += level
        return out

    def sense(self, label: str, prefer: str | None = None) -> int | None:
        """The sense an image label means: the first whose chain holds `prefer` (the plain group word
        the label came with, such as "dog"), else the first that is not a place."""
        key = label.strip().lower().replace(" ", "_")
        senses = self._senses.get(key) or self._senses.get(key.replace("-", "_")) or []
        names = [{w.lower() for s in self._chain(o) for w in self._words.get(s, [])} for o in senses]
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

        def add(words: list[str]) -> None:
            for w in words[:2]:
                if w.lower() not in seen and w.lower() not in _TOO_GENERAL:
                    seen.add(w.lower())
                    out.append(w)

        add(self._words.get(first, []))
        level = [first]
        for _ in range(depth):
            level = [u for s in level for u in self._up.get(s, [])]
            for s in level:
                add(self._words.get(s, []))
        near = out[:most]
        basic = [w for s in self._chain(first) for w in self._words.get(s, [])[:1]
                 if w.lower() in _BASIC and w.lower() not in seen]
        return near + list(dict.fromkeys(basic))[:3]


def _plain(word: str) -> str:
    """'rabbit(a)' markers and the like removed."""
    return word.split("(")[0]


def load_wordnet() -> WordNet:
    path = resolve("wordnet")   # Debian's /usr/share/wordnet, or the folder CINESEARCH_WORDNET names
    return WordNet(path if path.is_dir() else path.parent)
