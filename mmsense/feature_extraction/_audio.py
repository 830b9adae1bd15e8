"""Frame-level acoustic descriptors of a clip's audio track (librosa; openSMILE opt-in)."""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np

from ..utils._optional import import_optional
from ..utils._param_validation import Float, Int, StrOptions

from ._clip_base import ClipTransformerMixin
from ._clip_reader import _AUDIO_HINT, read_audio

N_MFCC = 13
_LIBROSA_NAMES = tuple(
    [f"mfcc{i}" for i in range(N_MFCC)]
    + ["rms", "zcr", "f0_hz", "voiced", "voiced_prob"]
)
_FMIN, _FMAX = 65.0, 500.0  # speech pitch range searched by pYIN, in Hz
_OPENSMILE_SETS = ("eGeMAPSv02", "ComParE_2016")


_OPENSMILE_MISSING = (
    "AudioFeatures(backend='opensmile') needs the opensmile package, which mmsense never "
    "installs: its binary is licensed for non-commercial research only (audEERING's openSMILE "
    "research licence). If that licence fits your use, `pip install opensmile` yourself."
)


def _import_librosa():
    return import_optional("librosa", f"AudioFeatures needs librosa; {_AUDIO_HINT}.")


def _import_opensmile():
    return import_optional("opensmile", _OPENSMILE_MISSING)


def _librosa_descriptors(y, sample_rate, hop, win, pitch_resolution):
    """(T, 18) float32: MFCC 0-12, RMS, ZCR, f0 (0 when unvoiced), voiced flag, probability."""
    librosa = _import_librosa()
    n_fft = 1 << int(np.ceil(np.log2(win)))
    mfcc = librosa.feature.mfcc(y=y, sr=sample_rate, n_mfcc=N_MFCC, n_fft=n_fft,
                                win_length=win, hop_length=hop, n_mels=40)
    rms = librosa.feature.rms(y=y, frame_length=win, hop_length=hop)
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=win, hop_length=hop)
    # pYIN needs two periods of the lowest pitch in a frame, more than the 25 ms window
    pitch_frame = 1 << int(np.ceil(np.log2(2.2 * sample_rate / _FMIN)))
    f0, voiced, prob = librosa.pyin(y, fmin=_FMIN, fmax=_FMAX, sr=sample_rate,
                                    frame_length=pitch_frame, hop_length=hop,
                                    resolution=pitch_resolution)
    columns = [mfcc, rms, zcr, np.nan_to_num(f0, nan=0.0)[None], voiced[None], prob[None]]
    # every descriptor is centerd on frame t * hop, so the counts agree (min guards rounding)
    n = min(c.shape[1] for c in columns)
    return np.vstack([c[:, :n] for c in columns]).T.astype(np.float32)


class AudioFeatures(ClipTransformerMixin):
    """Frame-level acoustic descriptors of each clip's audio track, at a 10 ms hop.

    A stateless transformer from a list of media files (wav, mp4, ... anything
    FFmpeg decodes, via PyAV) to one ``(n_steps, n_features)`` float32 sequence
    per clip. The audio is down-mixed to mono and resampled to ``sample_rate``.

    With ``backend="librosa"`` (default) each step has 18 features, a
    COVAREP-like set:

    * ``mfcc0`` .. ``mfcc12``: 13 MFCCs (40 mel bands, 25 ms Hann window);
    * ``rms``: root-mean-square amplitude over the 25 ms window (signal in [-1, 1]);
    * ``zcr``: zero-crossing rate over the window (fraction of sample pairs);
    * ``f0_hz``: pYIN fundamental frequency in Hz, searched in 65-500 Hz, **0 when
      unvoiced**; ``voiced``: pYIN's voicing decision (0/1); ``voiced_prob``: its
      voicing probability.

    Step ``t`` is centerd at ``t * hop_seconds``; a clip of ``s`` seconds has
    ``1 + floor(s / hop_seconds)`` steps.

    ``backend="opensmile"`` gives the low-level descriptors of an openSMILE
    feature set (``opensmile_feature_set``; the 10 ms hop and the windows are
    fixed by the set, and its first step starts at 0 s instead of being
    centerd there, so a clip has a few steps fewer than with librosa). Its
    binary is under audEERING's research licence (**non-commercial use only**),
    so mmsense never installs it: ``pip install opensmile`` yourself.

    Needs the ``audio`` extra: ``pip install "mmsense[audio]"``. Nothing is
    downloaded at run time.

    Parameters
    ----------
    sample_rate : int, default=16000
        Rate (Hz) the audio is resampled to before analysis.
    hop_seconds : float, default=0.01
        Step between frames (librosa backend).
    window_seconds : float, default=0.025
        Analysis window of MFCC, RMS and ZCR (librosa backend).
    pitch_resolution : float, default=0.25
        The pitch grid of pYIN, in semitones. librosa's default 0.1 makes pYIN's HMM
        about 10x slower; 0.25 keeps the error of a steady tone under 1 %.
    backend : {"librosa", "opensmile"}, default="librosa"
        Which library computes the descriptors.
    opensmile_feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
        Feature set of the openSMILE backend (25 or 65 descriptors per step).
    n_jobs : int, default=None
        Clips processed in parallel (joblib; None is 1, -1 all cores).
    cache_dir : str or path-like, default=None
        Folder for an on-disk cache keyed by (these settings, library version,
        SHA-256 of the file's bytes), shared with the other extractors. None
        disables it.

    Attributes
    ----------
    This transformer learns nothing: ``fit`` only validates the parameters and
    the input, and ``transform`` may be called without it.

    See Also
    --------
    FaceFeatures : Per-frame face features from the video track.
    extract_clip_features : Audio, face and transcript features in the input contract.
    read_audio : The decoded signal these features are computed from.

    References
    ----------
    M. Mauch and S. Dixon, "pYIN: a fundamental frequency estimator using
    probabilistic threshold distributions", ICASSP 2014.

    B. McFee et al., "librosa: audio and music signal analysis in Python",
    SciPy 2015.

    Examples
    --------
    >>> import os, tempfile, wave
    >>> import numpy as np
    >>> from mmsense.feature_extraction import AudioFeatures
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> tone = np.sin(2 * np.pi * 200 * np.arange(16000) / 16000)
    >>> with wave.open(path, "wb") as f:
    ...     f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000)
    ...     f.writeframes((tone * 9000).astype("<i2").tobytes())
    >>> (seq,) = AudioFeatures().fit_transform([path])  # doctest: +SKIP
    >>> seq.shape  # doctest: +SKIP
    (101, 18)
    >>> AudioFeatures().get_feature_names_out()[[0, 13, 15]].tolist()
    ['mfcc0', 'rms', 'f0_hz']
    """

    def __init__(self, *, sample_rate=16000, hop_seconds=0.01, window_seconds=0.025,
                 pitch_resolution=0.25, backend="librosa", opensmile_feature_set="eGeMAPSv02",
                 n_jobs=None, cache_dir=None):
        self.sample_rate = sample_rate
        self.hop_seconds = hop_seconds
        self.window_seconds = window_seconds
        self.pitch_resolution = pitch_resolution
        self.backend = backend
        self.opensmile_feature_set = opensmile_feature_set
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir

    _parameter_constraints = {
        "sample_rate": [Int(8000)],
        "hop_seconds": [Float(0, None, closed="neither")],
        "window_seconds": [Float(0, None, closed="neither")],
        "pitch_resolution": [Float(0, None, closed="neither")],
        "backend": [StrOptions({"librosa", "opensmile"})],
        "opensmile_feature_set": [StrOptions(set(_OPENSMILE_SETS))],
        "n_jobs": [Integral, None],
        "cache_dir": [str, os.PathLike, None],
    }

    def _check_params(self):
        self._validate_params()
        self._hop_and_window()

    def _hop_and_window(self):
        hop = int(round(self.hop_seconds * self.sample_rate))
        win = int(round(self.window_seconds * self.sample_rate))
        if hop < 1 or win < hop:
            raise ValueError(
                f"hop_seconds={self.hop_seconds} and window_seconds={self.window_seconds} give "
                f"a hop of {hop} and a window of {win} samples; need 1 <= hop <= window."
            )
        return hop, win

    def _smile(self):
        opensmile = _import_opensmile()
        feature_set = getattr(opensmile.FeatureSet, self.opensmile_feature_set)
        return opensmile.Smile(feature_set=feature_set,
                               feature_level=opensmile.FeatureLevel.LowLevelDescriptors)

    def _feature_names(self):
        if self.backend == "opensmile":
            return list(self._smile().feature_names)
        return list(_LIBROSA_NAMES)

    def _settings(self):
        if self.backend == "opensmile":
            version = _import_opensmile().__version__
            params = {"set": self.opensmile_feature_set}
        else:
            version = _import_librosa().__version__
            params = {"hop": self._hop_and_window(),
                      "pitch_resolution": float(self.pitch_resolution)}
        return {"extractor": "AudioFeatures", "format": 1, "backend": self.backend,
                "version": version, "sample_rate": int(self.sample_rate), **params}

    def _extract(self, path):
        y = read_audio(path, self.sample_rate)
        if self.backend == "opensmile":
            return self._smile().process_signal(y, self.sample_rate).to_numpy(np.float32)
        hop, win = self._hop_and_window()
        if len(y) < win:
            raise ValueError(f"clip {path!r}: its audio lasts {len(y) / self.sample_rate:.3f} s, "
                             f"shorter than one {self.window_seconds} s analysis window.")
        return _librosa_descriptors(y, self.sample_rate, hop, win, self.pitch_resolution)
