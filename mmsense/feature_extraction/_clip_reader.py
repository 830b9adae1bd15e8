"""Decode the audio and the frames of a media file with PyAV (FFmpeg bundled in its wheel)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..utils._optional import import_optional

_VIDEO_HINT = 'install it with `pip install "mmsense[video]"`'
_AUDIO_HINT = 'install it with `pip install "mmsense[audio]"`'


def _import_av(hint):
    return import_optional("av", f"Reading clips needs the PyAV package (av); {hint}.")


@contextmanager
def _first_track(path, kind, hint):
    """``(av, container, stream)`` of the first ``kind`` ("audio" or "video") stream.

    A missing file, an undecodable one, one without such a track, and a decoding
    error inside the ``with`` block are errors naming the clip.
    """
    av = _import_av(hint)
    path = os.fspath(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"clip {path!r}: no such file.")
    try:
        container = av.open(path)
    except av.FFmpegError as exc:
        raise ValueError(f"clip {path!r}: not a media file FFmpeg can decode ({exc}).") from exc
    with container:
        streams = getattr(container.streams, kind)
        if not streams:
            raise ValueError(f"clip {path!r} has no {kind} track.")
        try:
            yield av, container, streams[0]
        except av.FFmpegError as exc:
            raise ValueError(
                f"clip {path!r}: its {kind} track could not be decoded ({exc})."
            ) from exc


def read_audio(path, sample_rate=16000):
    """The audio track of a media file as mono float32 samples at ``sample_rate``.

    Any container and codec FFmpeg reads (wav, mp4, mkv, flac, ...) works;
    channels are averaged (down-mixed) and the signal resampled by FFmpeg.

    Parameters
    ----------
    path : str or path-like
        The media file.
    sample_rate : int, default=16000
        Output sampling rate in Hz.

    Returns
    -------
    ndarray of float32 of shape (n_samples,)
        Samples in [-1, 1].

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file cannot be decoded or has no audio track.

    See Also
    --------
    read_frames : The video frames of the same file.
    AudioFeatures : Frame-level acoustic descriptors computed from this signal.

    Examples
    --------
    >>> import os, tempfile, wave
    >>> import numpy as np
    >>> from mmsense.feature_extraction import read_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> with wave.open(path, "wb") as f:
    ...     f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
    ...     f.writeframes((np.sin(np.arange(8000) * 0.3) * 9000).astype("<i2").tobytes())
    >>> y = read_audio(path, sample_rate=16000)
    >>> y.dtype, round(len(y) / 16000, 1)
    (dtype('float32'), 1.0)
    """
    chunks = []
    with _first_track(path, "audio", _AUDIO_HINT) as (av, container, stream):
        resampler = av.AudioResampler(format="flt", layout="mono", rate=int(sample_rate))
        for frame in container.decode(stream):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    if not chunks:
        raise ValueError(f"clip {os.fspath(path)!r}: its audio track holds no samples.")
    return np.concatenate(chunks).astype(np.float32, copy=False)


def read_frames(path, fps=5.0, *, grayscale=True):
    """Read the frames of a video sampled at ``fps``, with their times.

    For each time ``k / fps`` (k = 0, 1, ...) within the video, the first
    decoded frame shown at or after it is kept, so a clip filmed at 30 fps read
    at 5 fps keeps every sixth frame.

    Parameters
    ----------
    path : str or path-like
        The media file.
    fps : float, default=5.0
        Frames per second to keep.
    grayscale : bool, default=True
        If True, 2-D uint8 luminance frames; else ``(height, width, 3)`` RGB.

    Returns
    -------
    frames : list of ndarray of uint8
        The kept frames, in time order.
    times : ndarray of float64 of shape (n_frames,)
        Presentation time of each kept frame, in seconds.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file cannot be decoded or has no video track.

    See Also
    --------
    read_audio : The audio track of the same file.
    FaceFeatures : Per-frame face features computed from these frames.
    """
    _import_av(_VIDEO_HINT)
    if not fps > 0:
        raise ValueError(f"fps must be > 0; got {fps!r}.")
    frames, times, next_time = [], [], 0.0
    with _first_track(path, "video", _VIDEO_HINT) as (_, container, stream):
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            time = float(frame.time) if frame.time is not None else len(times) / fps
            # tolerance: frame times are rounded to the stream's time base
            if time + 1e-6 < next_time:
                continue
            frames.append(frame.to_ndarray(format="gray" if grayscale else "rgb24"))
            times.append(time)
            next_time = (np.floor(time * fps + 1e-6) + 1) / fps
    if not frames:
        raise ValueError(f"clip {os.fspath(path)!r}: its video track holds no frames.")
    return frames, np.asarray(times, dtype=np.float64)
