"""Highlighting marks words of the text, never text inside markup or entities."""

from __future__ import annotations

from cinesearch.web.pages import highlight


def test_words_are_marked_and_everything_else_escaped():
    out = str(highlight("Riders <b>mark</b> the bend & amp up", ["mark", "amp", "lt", "riders"]))
    assert out == ("<mark>Riders</mark> &lt;b&gt;<mark>mark</mark>&lt;/b&gt; the bend &amp; "
                   "<mark>amp</mark> up")


def test_a_prefix_marks_the_whole_word_and_short_words_are_left_alone():
    assert str(highlight("lighthouses at sea", ["lighthouse", "at"])) == "<mark>lighthouses</mark> at sea"
