"""
===========================================
From two raw clips to a prediction, offline
===========================================

This example follows the whole path a user with video clips takes:

1. extract frame-level audio descriptors (MFCC, energy, pitch, voicing at a
   10 ms hop), per-frame face features and transcript embeddings from raw
   files, into mmsense's input contract;
2. fit a model on data with the same modalities;
3. predict on the clips with exactly the extraction settings used for fitting.

It uses two CMU-MOSI samples (a ``.wav`` and an ``.mp4``) from the shared data
folder and their transcripts. Nothing is downloaded.

.. warning::
   The model here is fitted on **synthetic** data shaped like the extracted
   features, only to show the mechanics. Its predictions say nothing about
   the sentiment of the real clips. For meaningful predictions fit on features
   extracted from labeled clips (``mmsense extract CLIPS --labels CSV``).

It needs the ``audio`` and ``video`` extras (and ``text`` for transcripts)
and the samples; without them it prints why and stops.
"""

# %%
# Find the sample clips and the extras
# ------------------------------------
import importlib.util
import sys

from mmsense.datasets._paths import shared_data_candidates

missing = [name for name in ("av", "librosa", "cv2", "matplotlib")
           if importlib.util.find_spec(name) is None]
folder = next((f / "mosi" / "raw_samples" for f in shared_data_candidates()
               if (f / "mosi" / "raw_samples" / "Oz06ZWiO20M_6.mp4").is_file()), None)
if missing or folder is None:
    print("Skipping this example:",
          f"missing packages {missing} (pip install 'mmsense[audio,video]' matplotlib)" if missing
          else "CMU-MOSI raw samples not found (set MMSENSE_SHARED_DATA)")
    sys.exit(0)

wav, mp4 = str(folder / "03bSnISJMiM_1.wav"), str(folder / "Oz06ZWiO20M_6.mp4")
use_text = importlib.util.find_spec("sentence_transformers") is not None

# %%
# Transcripts
# -----------
# Speech-to-text is not part of mmsense (no offline recogniser was accurate
# enough); transcripts come from the user as clip id -> text. Here they are
# the CMU-MOSI transcripts of the two segments.
from mmsense.datasets import load_msa_transcripts

transcripts = None
if use_text:
    mosi = load_msa_transcripts()
    wanted = {"03bSnISJMiM_1", "Oz06ZWiO20M_6"}
    transcripts = {i: t for i, t in zip(mosi.ids, mosi.data) if i in wanted}
    print(transcripts)

# %%
# Extract features from both clips
# --------------------------------
# The ``.wav`` has no video track, so the two clips share text and audio only.
# ``max_steps=100`` caps the audio sequences: both clips are longer (334 and
# 745 steps at 10 ms), so each is averaged into 100 equal time bins
# (``cap="pool"``); ``original_steps`` reports the lengths before capping.
# A feature cache makes the repeated extractions below free.
import tempfile

from mmsense.feature_extraction import extract_clip_features

cache = tempfile.mkdtemp()
feats = extract_clip_features([wav, mp4], transcripts, vision=False, max_steps=100,
                              cache_dir=cache)
print(feats.modalities, feats.X.shape)
print("steps before capping:", feats.original_steps)

# %%
# The face track of the video
# ---------------------------
# Face features come one step per frame at 5 fps; frames without a detected
# face are padding (all NaN).
import matplotlib.pyplot as plt
import numpy as np

from mmsense.feature_extraction import AudioFeatures, FaceFeatures

(face,) = FaceFeatures(fps=5).transform([mp4])
(audio,) = AudioFeatures(cache_dir=cache).transform([mp4])
names = list(AudioFeatures().get_feature_names_out())
print(f"face found in {int((~np.isnan(face).all(axis=1)).sum())} of {len(face)} frames")

fig, (ax_pitch, ax_face) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
t_audio = np.arange(len(audio)) * 0.01
f0 = np.where(audio[:, names.index("voiced")] == 1, audio[:, names.index("f0_hz")], np.nan)
ax_pitch.plot(t_audio, f0, ".", markersize=2)
ax_pitch.set_ylabel("pitch (Hz), voiced frames")
t_face = np.arange(len(face)) / 5
ax_face.plot(t_face, face[:, 2], label="face width / frame width")
ax_face.plot(t_face, face[:, 6] * 0.1, "o", label="smile detected (x 0.1)")
ax_face.set_xlabel("time (s)")
ax_face.legend(loc="lower right")
fig.suptitle("Oz06ZWiO20M_6: pitch track and face features")
fig.tight_layout()

# %%
# Fit a model on synthetic data with the same modalities
# ------------------------------------------------------
# ``make_multimodal_sentiment`` takes the spec the extraction produced.
from sklearn.pipeline import make_pipeline

from mmsense import MMRestRegressor, ModalityScaler
from mmsense.datasets import make_multimodal_sentiment

X_syn, y_syn, _ = make_multimodal_sentiment(120, feats.modalities, random_state=0)
model = make_pipeline(ModalityScaler(modalities=feats.modalities),
                      MMRestRegressor(modalities=feats.modalities, max_epochs=3, random_state=0))
model.fit(X_syn, y_syn)

# %%
# Predict on the clips
# --------------------
# ``predict_clips`` extracts with the stored settings (same extractors, same
# sequence lengths) and predicts. Again: these numbers mean nothing about the
# clips, the model never saw real data (the real features lie far outside the
# synthetic data's range, so the two clips may even get the same score).
from mmsense.feature_extraction import predict_clips

result = predict_clips(model, [wav, mp4], transcripts, settings=feats.settings, cache_dir=cache)
for clip, score in zip(result.ids, result.predictions):
    print(f"{clip}: {score:+.2f} (synthetic-data model: not a real sentiment estimate)")
