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
    """Lower is better: the position in the preference; unknown and other languages after them."""
    if lang is not None and lang in preference:
        return preference.index(lang)
    return len(preference) + (0 if lang is None else 1)
