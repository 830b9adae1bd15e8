"""Benchmark scripts of mmsense: speed, memory and accuracy figures quoted in ``docs/``.

Run each from the repository root as a module, e.g.
``python -m benchmarks.bench_dec --help``. ``_common`` holds what the scripts
share (machine load, timing, CMU-MOSI text features, the DEC benchmark data,
command-line options and output) and the only private mmsense imports.
Importing a module of this package runs nothing.
"""
