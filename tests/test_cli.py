"""The command line: fast help, one-line errors with exit status 2."""

import os
import subprocess
import sys

import pytest

from mmsense._cli import TORCH_HUGE_PAGES, console_main, main


def test_help_does_not_import_torch():
    code = ("import sys; from mmsense._cli import build_parser; build_parser(); "
            "import mmsense; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("chosen, expected", [(None, "1"), ("0", "0"), ("1", "1")])
def test_console_main_turns_torch_huge_pages_on_unless_chosen(monkeypatch, chosen, expected):
    # the command line's own process gets PyTorch's huge-page CPU allocations (MMRest's
    # LSTM workspaces stop page-faulting every step); a value the user set is kept
    if chosen is None:
        monkeypatch.delenv(TORCH_HUGE_PAGES, raising=False)
    else:
        monkeypatch.setenv(TORCH_HUGE_PAGES, chosen)
    monkeypatch.setattr(sys, "argv", ["mmsense", "--help"])
    with pytest.raises(SystemExit):
        console_main()
    assert os.environ[TORCH_HUGE_PAGES] == expected


def test_bad_option_value_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--n-samples", "many"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid int value: 'many'" in err and "Traceback" not in err


def test_user_error_inside_a_command_is_one_line(capsys):
    assert main(["demo", "--n-samples", "-5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mmsense demo: error:") and len(err.splitlines()) == 1
