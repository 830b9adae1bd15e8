"""
Loading MMSA and MulT feature pickles into the input contract
=============================================================

The two common distributions of pre-extracted MOSI/MOSEI features are pickles:

* **MMSA** (thuiar/MMSA): per split, ``text`` (BERT features), ``audio`` and
  ``vision`` sequences *post-padded* with ``audio_lengths`` /
  ``vision_lengths``, the BERT attention mask in ``text_bert``,
  ``regression_labels``, ``id`` and ``raw_text``;
* **MulT**: per split, ``text`` (GloVe), ``audio`` and ``vision`` padded with
  *zero steps*, ``labels`` of shape (n, 1, 1) and ``id``.

:func:`~mmsense.datasets.load_mmsa_pickle` and
:func:`~mmsense.datasets.load_mult_pickle` turn either into the input
contract: one float32 matrix ``X`` whose padding steps are NaN, the scores
``y``, the ``modalities`` spec, the ids and the split of each row. This
example writes a small file of each format itself (random features of the
real layout, with made-up small sizes) so that it runs anywhere; point the
loaders at your own files the same way. Only unpickle files you trust.

The files are small at every size (``MMSENSE_EXAMPLE_FULL=1`` changes nothing
here); real MOSI pickles load the same way.
"""

# %%
# Write a small MMSA file
# -----------------------
import os
import pickle
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mmsense import MMRestRegressor, msa_report
from mmsense.datasets import load_mmsa_pickle, load_mult_pickle

rng = np.random.default_rng(0)
sizes = {"train": 60, "valid": 20, "test": 30}
T_TEXT, T_AUDIO, T_VISION = 12, 30, 25


def mmsa_split(n):
    """One split in MMSA's layout; steps past each length hold junk, as in real files."""
    text_len = rng.integers(3, T_TEXT + 1, n)
    mask = (np.arange(T_TEXT)[None, :] < text_len[:, None]).astype(np.int64)
    return {
        "text": rng.normal(size=(n, T_TEXT, 16)).astype(np.float32),
        "text_bert": np.stack([rng.integers(100, 30000, (n, T_TEXT)) * mask, mask,
                               np.zeros_like(mask)], axis=1),
        "audio": rng.normal(size=(n, T_AUDIO, 5)).astype(np.float32),
        "audio_lengths": list(rng.integers(5, T_AUDIO + 1, n)),
        "vision": rng.normal(size=(n, T_VISION, 7)).astype(np.float32),
        "vision_lengths": list(rng.integers(5, T_VISION + 1, n)),
        "regression_labels": rng.uniform(-3, 3, n).astype(np.float32),
        "id": np.array([f"video{i // 5}$_${i % 5}" for i in range(n)]),
        "raw_text": np.array([f"segment {i}" for i in range(n)]),
    }


folder = tempfile.mkdtemp()
mmsa_path = os.path.join(folder, "unaligned_mmsa.pkl")
with open(mmsa_path, "wb") as f:
    pickle.dump({split: mmsa_split(n) for split, n in sizes.items()}, f)

# %%
# Load it
# -------
# ``text="first"`` would keep only BERT's [CLS] step as a static vector, and
# ``text="mean"`` the mean of the real steps; the default keeps the sequence.
mmsa = load_mmsa_pickle(mmsa_path)
print(mmsa.modalities)
print(mmsa.data.shape, mmsa.data.dtype, "| splits:", pd.Series(mmsa.split).value_counts().to_dict())
print("where the lengths came from:", mmsa.lengths_source)

# %%
# Padding is NaN: the number of real steps of each row is recoverable from ``X``
# alone, and any mmsense estimator takes ``X`` as it is.
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
start = 0
for name, (steps, width) in mmsa.modalities.items():
    block = mmsa.data[:, start:start + steps * width].reshape(len(mmsa.data), steps, width)
    ax.hist((~np.isnan(block[:, :, 0])).sum(axis=1), bins=np.arange(steps + 2) - 0.5,
            alpha=0.6, label=name)
    start += steps * width
ax.set(xlabel="real steps per row", ylabel="rows", title="sequence lengths in the MMSA file")
ax.legend()

train, test = mmsa.split == "train", mmsa.split == "test"
model = MMRestRegressor(modalities=mmsa.modalities, hidden_dim=8, decision_dim=8,
                        lstm_hidden_dim=8, max_epochs=3, random_state=0)
model.fit(mmsa.data[train], mmsa.target[train],
          validation_data=(mmsa.data[mmsa.split == "valid"], mmsa.target[mmsa.split == "valid"]))
print("MAE on random features (no signal to find):",
      round(msa_report(mmsa.target[test], model.predict(mmsa.data[test]))["mae"], 3))

# %%
# The same for a MulT file
# ------------------------
# MulT pads with zero steps, anywhere in the sequence; a step whose features
# are all zero becomes NaN padding.


def mult_split(n, T=20):
    lengths = rng.integers(4, T + 1, n)
    real = np.arange(T)[None, :] >= (T - lengths)[:, None]  # MulT pre-pads
    part = {name: (rng.normal(size=(n, T, d)) * real[:, :, None]).astype(np.float32)
            for name, d in (("text", 30), ("audio", 5), ("vision", 7))}
    part["labels"] = rng.uniform(-3, 3, (n, 1, 1)).astype(np.float32)
    part["id"] = np.array([[f"video{i // 4}", str(i % 4), "0"] for i in range(n)])
    return part


mult_path = os.path.join(folder, "mosi_data_mult.pkl")
with open(mult_path, "wb") as f:
    pickle.dump({split: mult_split(n) for split, n in sizes.items()}, f)
mult = load_mult_pickle(mult_path, text="mean")
print(mult.modalities, mult.data.shape, mult.ids[:3])
plt.show()
