"""Download public CMU-MOSI / CMU-MOSEI files into the cache, checked by SHA-256.

A download goes to a hidden ``.part`` file next to its destination and is
renamed into place only when it is complete and its checksum matches, so an
interrupted or corrupted download never leaves a file in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..utils._files import atomic_write, file_sha256
from ._csd import load_csd_labels
from ._paths import get_data_home
from ._transcripts import _TRANSCRIPTS, load_msa_label_csv


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: where it goes in the cache, where it comes from, its SHA-256.

    ``urls`` are tried in order (the canonical host first, then mirrors).

    Parameters
    ----------
    filename : str
        Path of the file inside the cache folder (``data_home``).
    urls : tuple of str
        Where to download it from, tried in order.
    sha256 : str
        Hex SHA-256 of the file; a download that does not match is discarded.

    See Also
    --------
    fetch_file : Download a RemoteFile into the cache, once.

    Examples
    --------
    >>> from mmsense.datasets import RemoteFile
    >>> remote = RemoteFile("demo/file.csv", ("https://example.org/file.csv",), "0" * 64)
    >>> remote.filename
    'demo/file.csv'
    """

    filename: str
    urls: tuple
    sha256: str


# Checksums are those of the copies in the team's shared data folder, which were taken
# byte for byte from the mirrors below (commit-pinned so their bytes cannot change).
REMOTE_FILES = {
    "mosi_transcripts": RemoteFile(
        _TRANSCRIPTS["mosi"],
        ("https://raw.githubusercontent.com/jiangbing22/MMCPanda/"
         "3e568e4da552a9d0c61bf61761c73a06acd0eda4/data/mosi/label.csv",),
        "74c52aba8884cca3f77962310c41f31d3d6250c4e4b50fd77fd4efe4eb75a521",
    ),
    "mosei_transcripts": RemoteFile(
        _TRANSCRIPTS["mosei"],
        ("https://raw.githubusercontent.com/ailiwood/mme_0621/"
         "0c3bbfaf149fb02e5149663f2e9b32823109869f/data/mosei/label.csv",),
        "74a195945e28c1bbc45b6d279a99655d163f33d2c28b0c723ddba87bfbb97bfa",
    ),
    "mosi_csd_labels": RemoteFile(
        "mosi/CMU_MOSI_Opinion_Labels.csd",
        ("http://immortal.multicomp.cs.cmu.edu/CMU-MOSI/labels/CMU_MOSI_Opinion_Labels.csd",
         "https://raw.githubusercontent.com/worldreboot/audio-text-sentiment-analysis/"
         "371b6519de021908abdd398bdcc7067b5927b49a/cmumosi/CMU_MOSI_Opinion_Labels.csd"),
        "aef5f4617cdb067cc7606bb798eb6452c3de45f0f21cb3427be33c4d8c7fe852",
    ),
}

_CHUNK = 1 << 16


class ChecksumError(OSError):
    """A downloaded or cached file does not have the expected SHA-256."""


def _download(url, path: Path, sha256, timeout):
    """Stream ``url`` to ``path``; nothing is left at ``path`` (or beside it) on failure."""
    digest, size = hashlib.sha256(), 0
    try:
        with atomic_write(path) as handle, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            if expected is not None and size != int(expected):
                raise OSError(f"download interrupted: received {size} of {expected} bytes")
            if digest.hexdigest() != sha256:
                raise ChecksumError(
                    f"SHA-256 of the {size} bytes received is {digest.hexdigest()}, "
                    f"expected {sha256} (corrupted or changed file)"
                )
    except http.client.HTTPException as exc:
        # e.g. IncompleteRead when the server closes the connection early
        raise OSError(f"download interrupted: {exc!r}") from exc


def fetch_file(remote, *, data_home=None, download_if_missing=True, n_retries=3, delay=1.0,
               timeout=60.0) -> Path:
    """Return the cached path of ``remote``, downloading it first if needed.

    Parameters
    ----------
    remote : RemoteFile
        The file to fetch.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise ``OSError`` when the file is not cached.
    n_retries : int, default=3
        Further attempts per URL after a network error (a checksum mismatch is
        not retried: the same bytes would come back).
    delay : float, default=1.0
        Seconds between attempts.
    timeout : float, default=60.0
        Seconds without data before a connection is abandoned.

    Returns
    -------
    pathlib.Path
        Path of the cached file, its checksum verified.
    """
    path = Path(get_data_home(data_home)) / remote.filename
    if path.exists():
        found = file_sha256(path).hexdigest()
        if found != remote.sha256:
            raise ChecksumError(
                f"{path} is in the cache but its SHA-256 is {found}, expected {remote.sha256}: "
                "it is damaged or another version. Delete it to download it again."
            )
        return path
    if not download_if_missing:
        raise OSError(f"{path} is not in the cache and download_if_missing=False.")
    path.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in remote.urls:
        for attempt in range(n_retries + 1):
            try:
                _download(url, path, remote.sha256, timeout)
                return path
            except ChecksumError as exc:
                errors.append(f"{url}: {exc}")
                break
            except urllib.error.HTTPError as exc:
                errors.append(f"{url}: HTTP {exc.code} {exc.reason}")
                if exc.code < 500:  # the server answered: asking again will not help
                    break
                time.sleep(delay)
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{url} (attempt {attempt + 1}): {exc}")
                if attempt < n_retries:
                    time.sleep(delay)
    raise OSError(
        f"could not download {remote.filename} into {path.parent} ({'; '.join(errors)}). "
        "Nothing was written to the cache."
    )


def fetch_msa_transcripts(name="mosi", *, data_home=None, download_if_missing=True,
                          as_frame=False):
    """Download (once) and load the CMU-MOSI or CMU-MOSEI transcripts and labels.

    The files are MMSA-style ``label.csv`` files (MOSI ``id,text,label,mode``,
    MOSEI ``video_id,clip_id,text,label,mode``), cached as
    ``<data_home>/<name>/<name>_label_text.csv``, so that
    ``load_msa_transcripts(name, data_dir=get_data_home())`` reads them too.

    Parameters
    ----------
    name : {"mosi", "mosei"}, default="mosi"
        Which dataset.
    data_home : str or path-like, default=None
        Cache folder: ``$MMSENSE_DATA`` when set, else ``~/mmsense_data``.
    download_if_missing : bool, default=True
        If False, raise ``OSError`` when the file is not cached.
    as_frame : bool, default=False
        See :func:`load_msa_label_csv`.

    Returns
    -------
    Bunch
        As :func:`load_msa_transcripts`.

    See Also
    --------
    load_msa_transcripts : Load the same files from a folder you already have.
    """
    if name not in ("mosi", "mosei"):
        raise ValueError(f"name must be 'mosi' or 'mosei'; got {name!r}.")
    path = fetch_file(REMOTE_FILES[f"{name}_transcripts"], data_home=data_home,
                      download_if_missing=download_if_missing)
    return load_msa_label_csv(path, as_frame=as_frame)


def fetch_cmu_mosi_labels(*, data_home=None, download_if_missing=True, folds=None,
                          as_frame=False):
    """Download (once) and load the official CMU-MOSI opinion-segment labels (``.csd``).

    Needs h5py (``pip install mmsense[sdk]``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder: ``$MMSENSE_DATA`` when set, else ``~/mmsense_data``.
    download_if_missing : bool, default=True
        If False, raise ``OSError`` when the file is not cached.
    folds : str, path-like or mapping, default=None
        Standard folds for the ``split`` column (see :func:`load_standard_folds`).
    as_frame : bool, default=False
        See :func:`load_csd_labels`.

    Returns
    -------
    Bunch
        As :func:`load_csd_labels` (2199 segments of 93 videos).
    """
    path = fetch_file(REMOTE_FILES["mosi_csd_labels"], data_home=data_home,
                      download_if_missing=download_if_missing)
    return load_csd_labels(path, folds=folds, as_frame=as_frame)
