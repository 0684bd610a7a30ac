"""Subtitle parsing on files written the way real ones arrive: BOMs, UTF-16, cp1252, broken cues."""

import pytest

from cinesearch.indexer.errors import InputError
from cinesearch.indexer.subtitles import parse_subtitles

SRT = """1
00:00:01,000 --> 00:00:02,500
<i>I'm the king</i> of the world!

2
00:00:03,000 --> 00:00:04,000
{\\an8}Jack, this is where we first met.

"""


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_srt_in_common_encodings(tmp_path, encoding):
    text = SRT.replace("king", "kíng café")
    cues = parse_subtitles(_write(tmp_path, f"{encoding}.srt", text.encode(encoding)))
    assert [(c.start, c.end) for c in cues] == [(1.0, 2.5), (3.0, 4.0)]
    assert cues[0].text == "I'm the kíng café of the world!"
    assert cues[1].text == "Jack, this is where we first met."


def test_broken_cue_is_skipped_and_the_rest_kept(tmp_path):
    broken = SRT.replace("2\n00:00:03,000 --> 00:00:04,000", "2\n00:00:03,000 -> garbage") + (
        "3\n00:00:05,000 --> 00:00:06,000\nStill here.\n\n")
    cues = parse_subtitles(_write(tmp_path, "broken.srt", broken.encode()))
    assert cues[0].text == "I'm the king of the world!"
    assert cues[-1].text == "Still here." and cues[-1].start == 5.0


def test_crlf_and_windows_line_endings(tmp_path):
    cues = parse_subtitles(_write(tmp_path, "crlf.srt", SRT.replace("\n", "\r\n").encode()))
    assert len(cues) == 2


def test_webvtt_with_settings_voices_and_notes(tmp_path):
    vtt = ("WEBVTT - Titanic\n\nNOTE a comment\n\nSTYLE\n::cue { color: yellow }\n\n"
           "intro\n00:01.000 --> 00:02.500 align:start position:10%\n<v Rose>Never let go.</v>\n\n"
           "01:02:03.250 --> 01:02:04.000\nLate line\n")
    cues = parse_subtitles(_write(tmp_path, "t.vtt", vtt.encode("utf-8-sig")))
    assert [(c.start, c.end, c.text) for c in cues] == [(1.0, 2.5, "Never let go."), (3723.25, 3724.0, "Late line")]


def test_vtt_content_in_a_srt_named_file_is_sniffed(tmp_path):
    cues = parse_subtitles(_write(tmp_path, "misnamed.srt", b"WEBVTT\n\n00:00.500 --> 00:01.000\nHi\n"))
    assert cues[0].start == 0.5


@pytest.mark.parametrize("data,message", [
    (b"\x00\x01\x02\xff" * 100, "binary"),
    (b"just some notes, no timings\n", "no subtitle cues"),
    (b"", "no subtitle cues"),
])
def test_unreadable_subtitles_are_named(tmp_path, data, message):
    path = _write(tmp_path, "bad.srt", data)
    with pytest.raises(InputError, match=message) as err:
        parse_subtitles(path)
    assert "bad.srt" in str(err.value)


@pytest.mark.parametrize("line,encoding", [
    ("Café crème brûlée", "cp1252"),
    ("Ceci est une phrase en français: été, où, déjà, garçon, très bien.", "cp1252"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy, řekl pan Čapek.", "cp1250"),
])
def test_short_legacy_encoded_files_decode_to_their_own_letters(tmp_path, line, encoding):
    path = tmp_path / "legacy.srt"
    path.write_bytes(f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n\n".encode(encoding))
    assert parse_subtitles(path)[0].text == line
