import os

from teethseg.io.shown_names import shown_name


def test_bytes_that_are_not_utf8_are_shown_as_replacement_characters_and_the_rest_as_they_are():
    assert shown_name(os.fsdecode(b"jo\xe3o.jpg")) == "jo\ufffdo.jpg"
    assert shown_name("joão.jpg") == "joão.jpg"
    assert shown_name("ção" + os.fsdecode(b"\xe3")) == "ção\ufffd"
    assert shown_name("plain.png") == "plain.png"
