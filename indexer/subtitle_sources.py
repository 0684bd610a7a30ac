"""Where a movie's subtitles come from, and which of them are kept: sidecar files named after the
video (`Title (2004).en.sdh.srt`, `.fr.forced.ass`), and subtitle streams inside the container
(SubRip, ASS/SSA, mov_text, WebVTT), each with its language and its forced and SDH flags.

Bitmap streams (PGS, VobSub, DVB) hold pictures, not text; they are listed and reported as not
read, never dropped silently. Embedded text streams are read in one demux pass with PyAV: only
packets are read, nothing is decoded but the subtitles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.languages import guess_language, language, wanted
from cinesearch.indexer.media import MediaInfo
from cinesearch.indexer.movie_spec import MovieSpec
from cinesearch.indexer.subtitles import SUBTITLE_EXTENSIONS, Cue, ass_text, clean, parse_subtitles
from cinesearch.search.store import TextSegment

CUES_PER_MINUTE = 200   # dense dialogue is 15-30 a minute, karaoke a few more; 20,000 on a 4-s clip is an attack
MIN_CUE_CAP = 2_000
TEXT_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})
BITMAP_CODECS = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"})
FORCED_WORDS = frozenset({"forced", "foreign"})
SDH_WORDS = frozenset({"sdh", "hi", "cc"})     # Jellyfin's hearing-impaired flags ("hi" is not Hindi here)
IGNORED_WORDS = frozenset({"default", "full", "subs", "sub", "subtitles"})


@dataclass(frozen=True)
class SubtitleTrack:
    """One source of subtitle cues: a sidecar file, or stream `stream` of the video."""
    path: Path
    stream: int | None = None
    codec: str | None = None
    lang: str | None = None
    forced: bool = False
    sdh: bool = False

    @property
    def label(self) -> str:
        """How `why` and the summary name it: the file name, or the video's name and stream."""
        return self.path.name if self.stream is None else f"{self.path.name}#{self.stream} ({self.codec})"

    def extra(self) -> dict[str, object]:
        """What each cue of this track carries besides its text (for `why` and the API)."""
        out: dict[str, object] = {"lang": self.lang} if self.lang else {}
        if self.forced:
            out["forced"] = True
        if self.sdh:
            out["sdh"] = True
        if self.stream is not None:
            out["stream"] = self.stream
        return out


def name_flags(video_stem: str, file_name: str) -> tuple[str | None, bool, bool] | None:
    """(language, forced, sdh) from a sidecar's name when it belongs to the video
    (`<stem>.<tags...>.<ext>`), else None. Unknown words between the stem and the extension (a
    track title) are ignored; the first word that is a language tag is the language."""
    lower, stem = file_name.lower(), video_stem.lower()
    suffix = Path(lower).suffix
    if suffix not in SUBTITLE_EXTENSIONS or not lower.startswith(stem):
        return None
    middle = lower[len(stem):-len(suffix)]
    if middle and not middle.startswith("."):
        return None
    lang, forced, sdh = None, False, False
    for word in (w for w in middle.split(".") if w):
        if word in FORCED_WORDS:
            forced = True
        elif word in SDH_WORDS:
            sdh = True
        elif word not in IGNORED_WORDS and lang is None:
            lang = language(word)
    return lang, forced, sdh


def sidecar_track(video: Path, path: Path) -> SubtitleTrack:
    """A sidecar file as a track, its flags read from its name (none when it is not named after
    the video, as a movie.json may list any file)."""
    flags = name_flags(video.stem, path.name) or (None, False, False)
    return SubtitleTrack(path, lang=flags[0], forced=flags[1], sdh=flags[2])


def find_sidecars(video: Path) -> list[Path]:
    """The subtitle files beside `video` named after it, in name order."""
    try:
        entries = sorted(video.parent.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.is_file() and not p.name.startswith(".")
            and name_flags(video.stem, p.name) is not None]


def embedded_tracks(video: Path, info: MediaInfo) -> tuple[list[SubtitleTrack], list[str]]:
    """The video's text subtitle streams as tracks, and a note for each stream that is not read."""
    tracks, notes = [], []
    for st in info.of_kind("subtitle"):
        if st.codec in TEXT_CODECS:
            tracks.append(SubtitleTrack(video, st.index, st.codec, st.lang, st.forced, st.hearing_impaired))
        elif st.codec in BITMAP_CODECS:
            notes.append(f"{video.name}: subtitle stream {st.index} ({st.codec}, {st.lang or 'language unknown'}) "
                         "holds pictures, not text; not read (bitmap subtitles are not OCR'd)")
        else:
            notes.append(f"{video.name}: subtitle stream {st.index} ({st.codec}) is of a kind not read")
    return tracks, notes


def keep(tracks: Sequence[SubtitleTrack], preference: Sequence[str]) -> list[SubtitleTrack]:
    """The tracks in the preferred languages; when none is, every track (English, then any)."""
    chosen = [t for t in tracks if wanted(t.lang, preference)]
    return chosen or list(tracks)


def read_embedded(video: Path, tracks: Sequence[SubtitleTrack], start_time: float
                  ) -> tuple[dict[int, list[Cue]], list[str]]:
    """Every cue of the given embedded tracks, in one demux pass (packets only; the picture and
    sound are not decoded). A stream that fails to decode is dropped with a note naming it; the
    others are kept. Times are on the movie's timeline (the first video frame is zero)."""
    import av

    wanted_streams = {t.stream: t for t in tracks if t.stream is not None}
    cues: dict[int, list[Cue]] = {i: [] for i in wanted_streams}
    broken: dict[int, str] = {}
    if not wanted_streams:
        return cues, []
    try:
        container = av.open(str(video), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise InputError(str(video), f"cannot open to read its subtitles: {exc}") from exc
    with container:
        streams = [s for s in container.streams if s.index in wanted_streams]
        for packet in container.demux(*streams):
            i = packet.stream.index
            if i in broken or packet.size == 0 or packet.pts is None:
                continue
            try:
                start = float(packet.pts * packet.time_base) - start_time
                end = start + float((packet.duration or 0) * packet.time_base)
                for sub in packet.decode():
                    text = _text_of(sub)
                    if text and end > start >= 0:
                        cues[i].append(Cue(round(start, 3), round(end, 3), text))
            except av.error.InvalidDataError:
                broken[i] = "its packets are not valid text: not UTF-8, or damaged"
            except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
                broken[i] = f"{type(exc).__name__}: {exc}"
    notes = [f"{video.name}: subtitle stream {i} ({wanted_streams[i].codec}) is unreadable ({why}); skipped"
             for i, why in broken.items()]
    for i in broken:
        cues.pop(i, None)
    return cues, notes


def within(cues: list[Cue], duration: float, cap: int, where: str) -> list[Cue]:
    """The cues that start within the film (1 s of slack; a file made for another cut runs
    past it), refused when there are more than `cap` of them."""
    if len(cues) > cap:
        raise InputError(where, f"{len(cues):,} subtitle cues for {duration:.0f} s of video; at most {cap:,} "
                                f"({CUES_PER_MINUTE} a minute)")
    return [c for c in cues if duration <= 0 or c.start <= duration + 1.0]


def _segments(track: SubtitleTrack, cues: list[Cue]) -> list[TextSegment]:
    """A track's cues as texts; an untagged track's language is guessed from its words (so a
    French file named without a language is not embedded as English)."""
    extra = track.extra()
    if track.lang is None and (guess := guess_language([c.text for c in cues])) is not None:
        extra = {"lang": guess, "lang_from": "guessed", **extra}
    return [TextSegment("subtitle", track.label, c.start, c.end, c.text, extra=dict(extra)) for c in cues]


def _text_of(sub: object) -> str:
    """A decoded subtitle as plain text: ASS dialogue (what FFmpeg turns every text codec into) or
    plain text."""
    dialogue = getattr(sub, "dialogue", b"") or b""
    if dialogue:
        return ass_text(bytes(dialogue).decode("utf-8", errors="replace").replace("\n", "\\N"))
    text = getattr(sub, "text", b"") or b""
    return clean(bytes(text).decode("utf-8", errors="replace"))


def movie_cues(spec: MovieSpec, info: MediaInfo, preference: Sequence[str]) -> tuple[list[TextSegment], list[str]]:
    """Every kept subtitle cue of the movie (sidecar files and embedded text streams, in the
    preferred languages) and its audio-description cues, with one line for each source not read.

    A subtitle file that movie.json names must be readable (an error names it); one found beside
    the video is skipped with a line instead, unless the movie is read strictly."""
    notes = list(spec.notes)
    sidecars = [sidecar_track(spec.video, p) for p in spec.subtitles]
    embedded, unread = embedded_tracks(spec.video, info)
    if spec.strict and unread:
        raise InputError(str(spec.video), unread[0])
    notes += unread
    every = sidecars + embedded
    tracks = keep(every, preference)
    notes += [f"{t.label}: in {t.lang}, not among the preferred languages ({', '.join(preference)}); not read"
              for t in every if t not in tracks]
    cues: list[TextSegment] = []
    cap = max(MIN_CUE_CAP, int(CUES_PER_MINUTE * info.duration / 60))
    for t in (t for t in tracks if t.stream is None):
        try:
            read = within(parse_subtitles(t.path), info.duration, cap, str(t.path))
        except InputError as exc:
            if not spec.found_subtitles or spec.strict:
                raise
            notes.append(f"{exc}; skipped")
            continue
        cues += _segments(t, read)
    inside = [t for t in tracks if t.stream is not None]
    by_stream, broken = read_embedded(spec.video, inside, info.start_time)
    if spec.strict and broken:
        raise InputError(str(spec.video), broken[0])
    notes += broken
    for t in inside:
        try:
            cues += _segments(t, within(by_stream.get(t.stream or 0, []), info.duration, cap, t.label))
        except InputError as exc:
            if spec.strict:
                raise
            notes.append(f"{exc}; skipped")
    cues += [TextSegment("description", p.name, c.start, c.end, c.text) for p in spec.descriptions
             for c in within(parse_subtitles(p), info.duration, cap, str(p))]
    return cues, notes
