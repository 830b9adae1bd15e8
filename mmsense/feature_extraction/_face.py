"""Per-frame face features from OpenCV's bundled Haar cascades (face, eyes, smile)."""

from __future__ import annotations

import functools
import os
from numbers import Integral

import numpy as np

from ..utils._optional import import_optional
from ..utils._param_validation import Float

from ._clip_base import ClipTransformerMixin
from ._clip_reader import _VIDEO_HINT, read_frames

_NAMES = ("face_x", "face_y", "face_w", "face_h", "n_eyes", "eye_h", "smile", "smile_w")
_MAX_WIDTH = 320  # frames are analysed at most this wide
_CASCADES = {"face": "haarcascade_frontalface_default.xml", "eye": "haarcascade_eye.xml",
             "smile": "haarcascade_smile.xml"}


def _import_cv2():
    cv2 = import_optional(
        "cv2", f"FaceFeatures needs OpenCV (opencv-python-headless); {_VIDEO_HINT}.")
    if not hasattr(cv2, "CascadeClassifier"):
        # OpenCV 5 dropped the Haar cascades from the main module and its wheel's data folder
        raise ImportError(
            f"FaceFeatures needs OpenCV 4 (its wheel ships the Haar cascades; OpenCV 5 does not); "
            f"found OpenCV {cv2.__version__}: `pip install \"opencv-python-headless>=4.8,<5\"`."
        )
    return cv2


@functools.lru_cache(maxsize=None)
def _cascade(name):
    cv2 = _import_cv2()
    path = os.path.join(cv2.data.haarcascades, _CASCADES[name])
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise ImportError(f"OpenCV could not load its bundled cascade {path}; reinstall "
                          f"opencv-python-headless.")
    return cascade


def _frame_features(gray, min_face_fraction):
    """The 8 features of one grayscale frame, or all-NaN when no face is found."""
    cv2 = _import_cv2()
    height, width = gray.shape
    gray = cv2.equalizeHist(gray)
    # the whole-frame face search costs the most and grows with the pixel count, so it runs
    # on a copy at most _MAX_WIDTH wide; eyes and smile are searched at full resolution
    scale = min(1.0, _MAX_WIDTH / width)
    small = gray if scale == 1.0 else cv2.resize(
        gray, (_MAX_WIDTH, round(height * scale)), interpolation=cv2.INTER_AREA)
    side = max(24, int(min_face_fraction * min(small.shape)))
    faces = _cascade("face").detectMultiScale(small, scaleFactor=1.1, minNeighbors=5,
                                              minSize=(side, side))
    if len(faces) == 0:
        return np.full(len(_NAMES), np.nan, dtype=np.float32)
    x, y, w, h = (int(round(v / scale)) for v in max(faces, key=lambda box: box[2] * box[3]))
    face = gray[y:y + h, x:x + w]
    h, w = face.shape  # the box may reach past the frame's edge after rescaling
    # eyes are searched in the upper half of the face box, a smile in the lower third
    eyes = _cascade("eye").detectMultiScale(face[: h // 2], scaleFactor=1.1, minNeighbors=5,
                                            minSize=(max(1, w // 10), max(1, w // 10)))
    smiles = _cascade("smile").detectMultiScale(face[2 * h // 3:], scaleFactor=1.5,
                                                minNeighbors=15, minSize=(w // 5, h // 12 + 1))
    eyes = sorted(eyes, key=lambda box: -box[2] * box[3])[:2]
    eye_h = float(np.mean([box[3] for box in eyes])) / h if eyes else 0.0
    smile_w = max((box[2] for box in smiles), default=0) / w
    return np.array([(x + w / 2) / width, (y + h / 2) / height, w / width, h / height,
                     len(eyes), eye_h, float(len(smiles) > 0), smile_w], dtype=np.float32)


class FaceFeatures(ClipTransformerMixin):
    """Per-frame face geometry, eyes and smile detections from each clip's video track.

    A stateless transformer from a list of video files to one
    ``(n_frames, 8)`` float32 sequence per clip, one step per frame sampled at
    ``fps`` (see :func:`read_frames`); faces are searched in a copy of the
    frame at most 320 pixels wide, eyes and smile at full resolution. It uses
    the Haar cascades that ship in the ``opencv-python-headless`` 4.x wheel,
    so it runs offline and installs beside numpy 2. Per step:

    * ``face_x``, ``face_y``: center of the largest detected face, as a fraction
      of the frame's width and height (head position and movement);
    * ``face_w``, ``face_h``: its size as a fraction of the frame (distance to
      the camera);
    * ``n_eyes``: eyes detected in the upper half of the face box (0, 1 or 2;
      closed eyes and glasses are often missed); ``eye_h``: mean eye box height
      over the face height (0 when none);
    * ``smile``: 1 if the smile cascade fires in the lower third of the face,
      else 0; ``smile_w``: the widest smile box over the face width (0 when none).

    **A frame without a detected face is a padding step (all NaN)**, as the
    input contract defines; a clip with no face in any frame is all padding
    (:func:`extract_clip_features` reports it as an error by default).

    These are coarse detector outputs, not landmarks or action units: the
    cascades find frontal faces only and the smile detector is noisy. See
    docs/user_guide/media.md for what other face models give and cost.

    Needs the ``video`` extra: ``pip install "mmsense[video]"``.

    Parameters
    ----------
    fps : float, default=5.0
        Frames per second analysed.
    min_face_fraction : float, default=0.1
        Smallest face searched, as a fraction of the frame's shorter side.
    n_jobs : int, default=None
        Clips processed in parallel (joblib; None is 1, -1 all cores).
    cache_dir : str or path-like, default=None
        Folder for an on-disk cache keyed by (these settings, OpenCV version,
        SHA-256 of the file's bytes). None disables it.

    Attributes
    ----------
    This transformer learns nothing: ``fit`` only validates the parameters and
    the input, and ``transform`` may be called without it.

    See Also
    --------
    AudioFeatures : Acoustic descriptors of the audio track.
    extract_clip_features : Audio, face and transcript features in the input contract.
    read_frames : The frames these features are computed from.

    References
    ----------
    P. Viola and M. Jones, "Rapid object detection using a boosted cascade of
    simple features", CVPR 2001.

    Examples
    --------
    >>> from mmsense.feature_extraction import FaceFeatures
    >>> FaceFeatures(fps=2).get_feature_names_out().tolist()
    ['face_x', 'face_y', 'face_w', 'face_h', 'n_eyes', 'eye_h', 'smile', 'smile_w']
    """

    def __init__(self, *, fps=5.0, min_face_fraction=0.1, n_jobs=None, cache_dir=None):
        self.fps = fps
        self.min_face_fraction = min_face_fraction
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir

    _parameter_constraints = {
        "fps": [Float(0, None, closed="neither")],
        "min_face_fraction": [Float(0, 1, closed="right")],
        "n_jobs": [Integral, None],
        "cache_dir": [str, os.PathLike, None],
    }

    def _check_params(self):
        self._validate_params()

    def _feature_names(self):
        return list(_NAMES)

    def _settings(self):
        return {"extractor": "FaceFeatures", "format": 1, "version": _import_cv2().__version__,
                "fps": float(self.fps), "min_face_fraction": float(self.min_face_fraction)}

    def _extract(self, path):
        _import_cv2()
        frames, _ = read_frames(path, self.fps)
        return np.stack([_frame_features(frame, self.min_face_fraction) for frame in frames])
