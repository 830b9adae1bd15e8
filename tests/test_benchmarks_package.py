"""The benchmark scripts stay a small, importable package (issue 11).

Every module of ``benchmarks/`` imports without running anything or editing
``sys.path``; no function is longer than 60 lines; private mmsense modules are
imported only by ``benchmarks/_common.py``; the modules import each other
without a circle; every command given in the docs runs the scripts as modules
(``python -m benchmarks.bench_x``); and the scripts that have a tiny setting
run end to end with it (the others fit MOSI-size data: too slow for a test).
"""

import ast
import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "benchmarks"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
SCRIPTS = [m for m in MODULES if not m.startswith("_")]
MAX_FUNCTION_LINES = 60


def _tree(module):
    return ast.parse((PACKAGE / f"{module}.py").read_text(), filename=f"{module}.py")


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_every_script_is_found():
    assert {"bench_cmcsl", "bench_dec", "bench_mmrest", "_common"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_import_runs_nothing(module, capsys):
    path_before = list(sys.path)
    sys.modules.pop(f"benchmarks.{module}", None)
    imported = importlib.import_module(f"benchmarks.{module}")
    assert sys.path == path_before
    assert capsys.readouterr().out == ""
    if module in SCRIPTS:
        assert callable(imported.main)


@pytest.mark.parametrize("module", MODULES)
def test_no_sys_path_edit(module):
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Attribute) and node.attr == "path":
            assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), (
                f"benchmarks/{module}.py:{node.lineno} touches sys.path; run the script "
                f"as python -m benchmarks.{module} instead")


@pytest.mark.parametrize("module", MODULES)
def test_functions_fit_on_a_screen(module):
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(_tree(module))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not too_long, f"benchmarks/{module}.py: {too_long}"


@pytest.mark.parametrize("module", [m for m in MODULES if m != "_common"])
def test_private_mmsense_imports_only_in_common(module):
    private = [name for name in _imported_modules(_tree(module))
               if name.split(".")[0] == "mmsense"
               and any(part.startswith("_") for part in name.split("."))]
    assert not private, (f"benchmarks/{module}.py imports {private}; import private names "
                         "through benchmarks._common, so a move is fixed in one place")


def test_no_import_circle():
    edges = {m: {name.split(".")[1] for name in _imported_modules(_tree(m))
                 if name.startswith("benchmarks.")}
             for m in MODULES}

    def reaches(start, target, seen=()):
        return any(nxt == target or (nxt not in seen and reaches(nxt, target, seen + (nxt,)))
                   for nxt in edges.get(start, ()))

    circles = [m for m in MODULES if reaches(m, m)]
    assert not circles, f"import circle through {circles}: {edges}"


@pytest.mark.parametrize("module", SCRIPTS)
def test_help_runs(module, capsys):
    script = importlib.import_module(f"benchmarks.{module}")
    with pytest.raises(SystemExit) as stop:
        script.main(["--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_docs_run_benchmarks_as_modules():
    path_style = re.compile(r"python[^\n`]*\sbenchmarks/\w+\.py")
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *(PACKAGE / f"{m}.py" for m in MODULES)]
    found = [f"{p.relative_to(ROOT)}: {match.group(0)}" for p in texts if p.exists()
             for match in path_style.finditer(p.read_text())]
    assert not found, "run benchmarks as python -m benchmarks.<name>:\n" + "\n".join(found)


# (script, arguments of a run that takes about a second, a line its output must contain)
SMOKE_RUNS = [
    ("bench_contract", ["--rows", "3", "--repeats", "1"], "ModalityScaler.transform"),
    ("synthetic_oracle", ["--noise", "4", "--draws", "1", "--n-train", "30", "--n-test", "20"],
     "| 4 | mean |"),
    ("sweep_dec", ["--list"], "c_elr0.1"),
    ("sweep_dec", ["synthetic", "spread", "0"], '"variant": "spread"'),
    ("bench_cmcsl", ["--skip-accuracy", "--sizes", "300", "--seeds", "10", "--repeats", "2"],
     "| 300 |"),
    ("bench_cmcsl_fit", ["--n-samples", "400", "--features", "8", "--labeled", "20",
                         "--repeats", "1", "--steps"], "| GaussianNB fits |"),
    ("bench_cmcsl_fit", ["--n-samples", "400", "--features", "8", "--labeled", "20",
                         "--repeats", "1", "--warm-memory", "0.01", "--memory-probe", "0"],
     "| idle s | fill s |"),
    ("bench_mmrest", ["--part", "speed", "--spec", "small", "--rows", "70", "--epochs", "1",
                      "--reference-epochs", "1", "--repeats", "1"],
     "reference / MMRest, LSTM width 64"),
    ("bench_mmrest", ["--part", "allocator", "--spec", "small", "--rows", "70", "--epochs",
                      "1", "--repeats", "1"], "default / THP_MEM_ALLOC_ENABLE=1: median"),
    ("bench_inference", ["--n-samples", "60", "--repeats", "1"], "MMRestRegressor.predict"),
    ("bench_missing_modalities", ["--estimators", "cmcsl-gnb", "--n-samples", "200",
                                  "--fractions", "0.3", "--seeds", "1"],
     "| fit+predict | both | impute |"),
    pytest.param("bench_mmrest_semi", ["--seeds", "2", "--epochs", "1", "--fractions", "0.2",
                                       "--n-train", "40", "--n-test", "20"],
                 "target (semi beats sup", marks=pytest.mark.slow),
    pytest.param("bench_cmcsl", ["--scenarios", "weak-2mod", "--tasks", "binary", "--budgets", "1",
                                 "--n-samples", "40", "--skip-throughput", "--full",
                                 "--classifiers", "GNB"], "| GNB | CMCSL/kmeans/ratio |",
                 marks=pytest.mark.slow),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("module, argv, expected", SMOKE_RUNS)
def test_tiny_run(module, argv, expected, capsys):
    importlib.import_module(f"benchmarks.{module}").main(argv)
    assert expected in capsys.readouterr().out


def test_free_page_reporting_is_read_from_sysfs(tmp_path, monkeypatch):
    common = importlib.import_module("benchmarks._common")
    params, balloons = tmp_path / "parameters", tmp_path / "virtio_balloon"
    monkeypatch.setattr(common, "PAGE_REPORTING", params)
    monkeypatch.setattr(common, "BALLOON_DEVICES", balloons)
    assert common.free_page_reporting().endswith("not found")
    assert np.isnan(common.reported_mib())
    params.mkdir()
    balloons.mkdir()
    (params / "page_reporting_order").write_text("9\n")
    (params / "reported_kib").write_text("3072\n")
    assert "no virtio balloon device" in common.free_page_reporting()
    (balloons / "virtio0").mkdir()
    assert "on (virtio balloon, free blocks of 2048 KiB" in common.free_page_reporting()
    assert common.reported_mib() == 3.0
