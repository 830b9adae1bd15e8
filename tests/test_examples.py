"""Every gallery script in examples/ runs to completion (exit 0) at its default size.

The scripts take about a minute each on two busy CPU cores, several minutes in
all, so this test is marked slow (``python -m pytest -m slow tests/test_examples.py``);
the documentation build executes the same scripts through sphinx-gallery.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))
# examples with one size only, so without the MMSENSE_EXAMPLE_FULL switch
ONE_SIZE = {"raw_clips/plot_clips_to_prediction.py": "two fixed sample clips"}


def test_every_topic_has_a_readme_and_examples():
    assert (ROOT / "examples" / "README.txt").is_file()
    topics = {path.parent for path in EXAMPLES}
    assert len(EXAMPLES) >= 8
    for topic in topics:
        assert (topic / "README.txt").is_file(), f"{topic.name} has no README.txt"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_docstring_is_a_gallery_header(script):
    source = script.read_text()
    assert source.startswith('"""\n'), "sphinx-gallery needs the module docstring first"
    lines = source.splitlines()[1:4]
    if set(lines[0]) == {"="}:  # title with an overline
        lines = lines[1:]
    title, underline = lines[:2]
    assert title and set(underline) == {"="} and len(underline) >= len(title)
    assert "# %%" in source
    if f"{script.parent.name}/{script.name}" not in ONE_SIZE:
        assert "MMSENSE_EXAMPLE_FULL" in source


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_runs(script, tmp_path):
    pytest.importorskip("matplotlib")
    env = {**os.environ, "MPLBACKEND": "Agg", "MMSENSE_EXAMPLE_FULL": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.setdefault("MMSENSE_DATA", str(tmp_path / "mmsense_data"))
    # one torch thread: on a busy 2-core machine two spinning threads cost 5-10x the CPU time
    env.setdefault("OMP_NUM_THREADS", "1")
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
