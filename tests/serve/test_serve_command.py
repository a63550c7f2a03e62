"""``teethseg serve`` options: loopback unless a key is given, each bad option refused in one line."""

import pytest

from teethseg.cli import main
from teethseg.errors import TeethsegError
from teethseg.serve.run import check_options, is_loopback


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("192.168.1.20", False), ("::", False), ("clinic.example", False),
])
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_a_network_address_needs_a_key(monkeypatch, capsys):
    monkeypatch.delenv("TEETHSEG_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--host 0.0.0.0 is not a loopback address" in error and "--api-key" in error
    assert check_options("0.0.0.0", 8000, 1, 4, 50, "k-e-y") == "k-e-y"
    monkeypatch.setenv("TEETHSEG_API_KEY", "from-the-environment")
    assert check_options("0.0.0.0", 8000, 1, 4, 50, None) == "from-the-environment"
    assert check_options("127.0.0.1", 8000, 1, 4, 50, None) == "from-the-environment"  # checked on loopback too


@pytest.mark.parametrize("options, words", [
    (dict(port=70000), "--port"), (dict(workers=0), "--workers"), (dict(queue=-1), "--queue"),
    (dict(max_upload_mb=0), "--max-upload-mb"), (dict(api_key="  "), "API key is empty"),
])
def test_bad_options_are_one_line(options, words):
    arguments = dict(host="127.0.0.1", port=8000, workers=1, queue=4, max_upload_mb=50, api_key=None) | options
    with pytest.raises(TeethsegError, match=words) as error:
        check_options(**arguments)
    assert "\n" not in str(error.value)
