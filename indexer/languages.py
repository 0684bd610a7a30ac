"""Language tags as libraries write them (eng, fre, fr-CA, und) reduced to one form, and the
user's preference order (`--languages en,fr`; default English, then any).

Pure functions: discovery, subtitle selection and speech all ask the same questions here.
"""

from __future__ import annotations

from collections.abc import Sequence

ANY = "*"
DEFAULT_PREFERENCE: tuple[str, ...] = ("en", ANY)
# language names as file names spell them (Movie.English.srt); codes are left to langcodes
_NAMES = {"english": "en", "french": "fr", "francais": "fr", "german": "de", "deutsch": "de", "spanish": "es",
          "espanol": "es", "italian": "it", "portuguese": "pt", "dutch": "nl", "swedish": "sv", "danish": "da",
          "norwegian": "no", "finnish": "fi", "polish": "pl", "russian": "ru", "japanese": "ja", "chinese": "zh",
          "korean": "ko", "greek": "el", "turkish": "tr", "arabic": "ar", "hebrew": "he", "czech": "cs"}
_UNKNOWN = {"", "und", "unk", "mis", "mul", "zxx", "unknown", "none"}


def language(tag: str | None) -> str | None:
    """A language tag as its base ISO 639-1 code where one exists ("eng" -> "en", "fre"/"fra" ->
    "fr", "pt-BR" -> "pt"); None for missing, undetermined or invalid tags."""
    if tag is None:
        return None
    text = tag.strip().replace("_", "-").lower()
    if text in _UNKNOWN:
        return None
    if text in _NAMES:
        return _NAMES[text]
    import langcodes

    try:
        if not langcodes.tag_is_valid(text):
            return None
        base = langcodes.Language.get(langcodes.standardize_tag(text)).language
    except (ValueError, LookupError):
        return None
    return None if base is None or base in _UNKNOWN else base


def parse_preference(text: str | None) -> tuple[str, ...]:
    """`en,fr` -> ("en", "fr"); `en,*` keeps English first, then any. Raises ValueError naming a tag
    that is not a language."""
    if text is None or not text.strip():
        return DEFAULT_PREFERENCE
    out: list[str] = []
    for raw in text.split(","):
        raw = raw.strip()
        if not raw:
            continue
        code = ANY if raw in (ANY, "any") else language(raw)
        if code is None:
            raise ValueError(f"{raw!r} is not a language tag (use ISO codes such as en, fr, de, or * for any)")
        if code not in out:
            out.append(code)
    return tuple(out) or DEFAULT_PREFERENCE


def wanted(lang: str | None, preference: Sequence[str]) -> bool:
    """Is a track in this language kept? A track of unknown language is kept (it is most often the
    library's own language), as is every track when the preference ends in "any"."""
    return lang is None or ANY in preference or lang in preference


def rank(lang: str | None, preference: Sequence[str]) -> int:
    """Lower is better: the position in the preference; any other language and unknown ones at
    the place of "*" (all alike), else after every preferred one (unknown first)."""
    if lang is not None and lang in preference:
        return preference.index(lang)
    if ANY in preference:
        return preference.index(ANY)
    return len(preference) + (0 if lang is None else 1)


# the commonest function words of each language, in no other of these lists (guess_language)
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words("the and is are was were you your what with this that have not they will would there from"),
    "fr": _words("le la les est et une des du vous nous pas que qui dans pour avec sont mais je tu"),
    "de": _words("der die das und ist nicht ich sie wir ein eine mit auf dem den zu sind aber"),
    "es": _words("el los las es y una del que por con para pero yo tu usted nosotros muy"),
    "it": _words("il lo gli della che non sono per una con questo ma io tu voi noi molto"),
    "pt": _words("os uma que não com para mas eu você nós muito está são isso"),
    "nl": _words("de het een en niet ik je jij wij zijn met op dat voor maar"),
}


def guess_language(texts: Sequence[str], min_hits: int = 2) -> str | None:
    """The language of untagged subtitle text, from its commonest function words: the language
    with the most hits when it has at least `min_hits` and twice the next one's; else None
    (unknown: treated as the library's own language)."""
    import re

    counts = dict.fromkeys(_STOPWORDS, 0)
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text.lower()):
            for lang, words in _STOPWORDS.items():
                if word in words:
                    counts[lang] += 1
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    (best, hits), (_, second) = ranked[0], ranked[1]
    return best if hits >= min_hits and hits >= 2 * second else None
