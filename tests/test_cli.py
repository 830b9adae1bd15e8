"""The command line: fast help, one-line errors with exit status 2."""

import subprocess
import sys

import pytest

from mmsense._cli import main


def test_help_does_not_import_torch():
    code = ("import sys; from mmsense._cli import build_parser; build_parser(); "
            "import mmsense; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
