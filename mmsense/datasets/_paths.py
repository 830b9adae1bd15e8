"""Where datasets live: the download cache (``data_home``) and the shared read-only data folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Environment variables a user sets to point mmsense at its data.
DATA_HOME_ENV = "MMSENSE_DATA"
SHARED_DATA_ENV = "MMSENSE_SHARED_DATA"


def get_data_home(data_home=None) -> str:
    """Return the folder where fetched datasets are cached, creating it if needed.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default ``$MMSENSE_DATA`` when set, else
        ``~/mmsense_data``. ``~`` is expanded.

    Returns
    -------
    str
        The absolute path of the folder.

    See Also
    --------
    clear_data_home : Delete the cache.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, os.path.join("~", "mmsense_data"))
    path = Path(data_home).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def clear_data_home(data_home=None) -> None:
    """Delete the whole download cache (see :func:`get_data_home`).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder: ``$MMSENSE_DATA`` when set, else ``~/mmsense_data``.
    """
    shutil.rmtree(get_data_home(data_home))


def shared_data_candidates() -> list[Path]:
    """Folders searched, in order, when ``data_dir=None``.

    ``shared/data`` beside the nearest folder at or above the working directory
    that holds ``.git`` (a git checkout or worktree), then beside the working
    directory itself.
    """
    if os.environ.get(SHARED_DATA_ENV):
        return [Path(os.environ[SHARED_DATA_ENV]).expanduser()]
    cwd = Path.cwd()
    checkouts = [folder for folder in (cwd, *cwd.parents) if (folder / ".git").exists()]
    beside = checkouts[:1] + [cwd]
    return list(dict.fromkeys(folder.parent / "shared" / "data" for folder in beside))


def find_data_file(relative: str, data_dir=None, *, what: str, fetch_hint: str = "") -> Path:
    """Locate ``data_dir / relative`` (or the same path in the default folders).

    Raises ``FileNotFoundError`` that lists every place looked at and how to
    point mmsense at the files.
    """
    folders = [Path(data_dir).expanduser()] if data_dir is not None else shared_data_candidates()
    for folder in folders:
        path = folder / relative
        if path.is_file():
            return path
    looked = ", ".join(str(folder / relative) for folder in folders)
    how = (
        "Pass data_dir=<folder holding it>"
        if data_dir is not None
        else f"Pass data_dir=<folder>, or set ${SHARED_DATA_ENV} to the folder that holds it"
    )
    raise FileNotFoundError(f"{what} not found; looked for {looked}. {how}{fetch_hint}.")
