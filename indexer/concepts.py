"""Pure: what a shot shows, as short text ("objects: 2 people, a dog; scene: seashore"), from the
ImageNet labels and COCO objects found on its keyframes. Embedded like any other text, this lets a
sentence find visual content when no CLIP model is present."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cinesearch.models.imagenet import group_word

_PLURAL = {"person": "people", "bus": "buses", "sheep": "sheep", "skis": "skis", "scissors": "scissors",
           "knife": "knives", "mouse": "mice", "sandwich": "sandwiches", "hot dog": "hot dogs",
           "wine glass": "wine glasses", "couch": "couches", "toothbrush": "toothbrushes", "bench": "benches"}
_NUMBERS = {2: "2", 3: "3", 4: "4"}


@dataclass(frozen=True)
class ConceptParams:
    min_label_prob: float = 0.15     # mean probability over the keyframes
    max_labels: int = 3
    max_objects: int = 6
    bank_size: int = 24              # label probabilities kept per shot for concept-bank scoring ...
    bank_min: float = 0.005          # ... each at least this (the rest of the 1000 are noise)


def short_label(label: str) -> str:
    """'malamute, malemute, Alaskan malamute' -> 'malamute'."""
    return label.split(",")[0].strip()


def shot_labels(probs: Sequence[np.ndarray], labels: Sequence[str],
                params: ConceptParams = ConceptParams()) -> list[tuple[str, float]]:
    """Top ImageNet labels of a shot: the keyframes' probabilities averaged, so that a label seen on
    one keyframe out of three counts a third. Each label is followed by its plain group word once."""
    if not probs:
        return []
    mean = np.mean(np.stack([np.asarray(p, np.float32) for p in probs]), axis=0)
    out: list[tuple[str, float]] = []
    for idx in np.argsort(-mean)[: params.max_labels]:
        p = float(mean[idx])
        if p < params.min_label_prob:
            break
        name = short_label(labels[idx]) if idx < len(labels) else f"class {idx}"
        word = group_word(int(idx))
        out.append((f"{name} ({word})" if word and word not in name.lower() else name, round(p, 3)))
    return out


def label_bank(probs: Sequence[np.ndarray], params: ConceptParams = ConceptParams()) -> list[tuple[int, float]]:
    """A shot's concept bank: the `bank_size` most probable ImageNet classes with their mean
    probability over the keyframes, as (class index, probability), most probable first.

    The top labels alone drop what the classifier half-believes (a hare at 0.08 under a wrong
    "sea lion" at 0.3); search matches a query against these probabilities, weighted by how
    close each class name is to the query (search.concept_bank), instead of only the words of
    the top labels."""
    if not probs:
        return []
    mean = np.mean(np.stack([np.asarray(p, np.float32) for p in probs]), axis=0)
    top = np.argsort(-mean, kind="stable")[: params.bank_size]
    return [(int(i), round(float(mean[i]), 4)) for i in top if mean[i] >= params.bank_min]


def shot_objects(per_keyframe: Sequence[Sequence[str]]) -> dict[str, int]:
    """COCO object counts of a shot: for each class, the most instances seen on any one keyframe
    (the same dog seen on three keyframes is one dog)."""
    counts: Counter[str] = Counter()
    for labels in per_keyframe:
        for name, n in Counter(labels).items():
            counts[name] = max(counts[name], n)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _count_phrase(name: str, n: int) -> str:
    if n == 1:
        return f"an {name}" if name[0] in "aeiou" else f"a {name}"
    plural = _PLURAL.get(name) or (name if name.endswith("s") else f"{name}s")
    return f"{_NUMBERS.get(n, 'many')} {plural}" if n < 5 else f"many {plural}"


def concepts_text(objects: dict[str, int], labels: Sequence[tuple[str, float]],
                  params: ConceptParams = ConceptParams()) -> str:
    """'objects: 2 people, a bicycle; scene: seashore' — or '' when nothing was recognised."""
    parts = []
    if objects:
        shown = list(objects.items())[: params.max_objects]
        parts.append("objects: " + ", ".join(_count_phrase(k, v) for k, v in shown))
    if labels:
        parts.append("scene: " + ", ".join(name for name, _ in labels))
    return "; ".join(parts)


_COCO_ANIMALS = frozenset({"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"})
_COCO_FOOD = frozenset({"banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut",
                        "cake"})


def coco_sense(name: str) -> str | None:
    """The word that picks a COCO class's WordNet sense: a "tv" is the set, not broadcasting."""
    if name == "person":
        return None
    return "animal" if name in _COCO_ANIMALS else "food" if name in _COCO_FOOD else "artifact"


def widened_labels(labels: Sequence[tuple[str, float]], widen: Callable[[str, str | None], list[str]],
                   objects: Sequence[str] = ()) -> str:
    """The words WordNet adds to a shot's labels and objects: synonyms and broader words ("hare" ->
    "leporid, lagomorph, mammal, animal"), as "also: ...". A label reads "name (group)"; the group
    word picks the sense ("Chihuahua (dog)" is the dog, not the city)."""
    out: list[str] = []
    names = [(label, *label.partition(" (")[::2]) for label, _ in labels] + \
        [(o, o, f"{coco_sense(o)})" if coco_sense(o) else "") for o in objects]
    for label, name, rest in names:
        group = rest.rstrip(")") or None
        out += [w for w in widen(name, group) if w.lower() not in label.lower()]
    words = list(dict.fromkeys(out))
    return f"also: {', '.join(words)}" if words else ""
