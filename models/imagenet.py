"""The ImageNet classes of the packaged classifier as words: plain group words for fine labels
("a dog" finds a malamute), and the class names with those words, which the indexer writes into
a shot's concepts and search matches queries against (concept-bank scoring). Data and pure
functions; the labels file itself lies beside the weights (models.vision)."""

from __future__ import annotations

from collections.abc import Sequence

# ImageNet class-index ranges (inclusive) whose fine labels deserve a plain word beside them, so that
# "a dog" finds a malamute. Indices are those of the standard 1000-class list.
IMAGENET_GROUPS: tuple[tuple[int, int, str], ...] = (
    (0, 6, "fish"), (389, 397, "fish"), (7, 24, "bird"), (80, 100, "bird"), (127, 146, "bird"),
    (30, 32, "frog"), (33, 37, "turtle"), (38, 48, "lizard"), (52, 68, "snake"), (151, 268, "dog"),
    (269, 280, "wild dog"), (281, 285, "cat"), (286, 293, "big cat"), (300, 326, "insect"),
    (365, 384, "monkey"), (407, 407, "car"), (436, 436, "car"), (468, 468, "car"), (511, 511, "car"),
    (609, 609, "car"), (627, 627, "car"), (656, 656, "car"), (661, 661, "car"), (717, 717, "car"),
    (751, 751, "car"), (817, 817, "car"), (339, 339, "horse"), (603, 603, "horse"),
)

def group_word(index: int) -> str | None:
    for lo, hi, word in IMAGENET_GROUPS:
        if lo <= index <= hi:
            return word
    return None


def class_names(labels: Sequence[str]) -> list[str]:
    """Each class as matched against queries: its synonyms, and its group word where it has one
    ("Chihuahua (dog)", "tabby, tabby cat (cat)")."""
    out = []
    for i, label in enumerate(labels):
        word = group_word(i)
        out.append(f"{label} ({word})" if word and word not in label.lower() else label)
    return out
