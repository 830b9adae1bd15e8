"""fetch_* against a small HTTP server on 127.0.0.1 that the tests start (never the internet)."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from mmsense.datasets import (
    RemoteFile,
    fetch_cmu_mosi_labels,
    fetch_file,
    fetch_msa_transcripts,
    get_data_home,
    load_msa_transcripts,
)
from mmsense.datasets import _fetch
from mmsense.datasets._fetch import ChecksumError

CSV = b"id,text,label,mode\nv_1,so good,2.0,train\nv_2,so bad,-2.5,dev\nw_1,fine,0.0,test\n"


class Server:
    """Serves ``routes``: path -> (body, behaviour); records the paths requested."""

    def __init__(self):
        self.routes, self.requests = {}, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body, behaviour = server.routes.get(self.path, (b"", "missing"))
                if behaviour == "missing":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if behaviour == "interrupt":  # announce everything, send half, hang up
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                elif behaviour == "corrupt":  # right length, wrong bytes
                    self.wfile.write(bytes(b ^ 0xFF for b in body[:10]) + body[10:])
                else:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def serve(self, path, body, behaviour="ok"):
        self.routes[path] = (body, behaviour)
        return self.url + path


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def remote(urls, body=CSV, filename="mosi/mosi_label_text.csv"):
    return RemoteFile(filename, tuple(urls), hashlib.sha256(body).hexdigest())


def cache_files(home: Path):
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


def test_download_then_cached(server, tmp_path):
    url = server.serve("/label.csv", CSV)
    path = fetch_file(remote([url]), data_home=tmp_path)
    assert path == tmp_path / "mosi" / "mosi_label_text.csv"
    assert path.read_bytes() == CSV
    assert cache_files(tmp_path) == ["mosi/mosi_label_text.csv"]
    assert fetch_file(remote([url]), data_home=tmp_path) == path
    assert server.requests == ["/label.csv"]  # second call served from the cache


def test_interrupted_download_leaves_nothing(server, tmp_path):
    url = server.serve("/label.csv", CSV * 100, "interrupt")
    with pytest.raises(OSError, match="interrupted") as info:
        fetch_file(remote([url], CSV * 100), data_home=tmp_path, n_retries=1, delay=0)
    assert "Nothing was written to the cache" in str(info.value)
    assert cache_files(tmp_path) == []  # no partial file, no .part left behind
    assert server.requests == ["/label.csv"] * 2  # retried once


def test_corrupted_download_leaves_nothing_and_is_not_retried(server, tmp_path):
    url = server.serve("/label.csv", CSV, "corrupt")
    with pytest.raises(OSError, match=f"SHA-256 of the {len(CSV)} bytes received is .*expected"):
        fetch_file(remote([url]), data_home=tmp_path, n_retries=3, delay=0)
    assert cache_files(tmp_path) == []
    assert server.requests == ["/label.csv"]


def test_mirror_used_when_the_first_host_fails(server, tmp_path):
    missing = server.url + "/gone.csv"
    mirror = server.serve("/mirror.csv", CSV)
    path = fetch_file(remote([missing, mirror]), data_home=tmp_path, delay=0)
    assert path.read_bytes() == CSV
    assert server.requests == ["/gone.csv", "/mirror.csv"]  # a 404 is not retried


def test_download_if_missing_false(server, tmp_path):
    url = server.serve("/label.csv", CSV)
    with pytest.raises(OSError, match="not in the cache and download_if_missing=False"):
        fetch_file(remote([url]), data_home=tmp_path, download_if_missing=False)
    assert server.requests == []


def test_damaged_cached_file_is_reported_not_used(server, tmp_path):
    url = server.serve("/label.csv", CSV)
    path = fetch_file(remote([url]), data_home=tmp_path)
    path.write_bytes(CSV[:-5])
    with pytest.raises(ChecksumError, match="Delete it to download it again"):
        fetch_file(remote([url]), data_home=tmp_path)


def test_unreachable_host(tmp_path):
    # a port nothing listens on: connection refused, clear error, nothing left
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError, match="could not download mosi/mosi_label_text.csv"):
        fetch_file(remote([f"http://127.0.0.1:{port}/x"]), data_home=tmp_path, n_retries=0,
                   timeout=5)
    assert cache_files(tmp_path) == []


def test_fetch_msa_transcripts(server, tmp_path, monkeypatch):
    url = server.serve("/mosi.csv", CSV)
    monkeypatch.setitem(_fetch.REMOTE_FILES, "mosi_transcripts", remote([url]))
    bunch = fetch_msa_transcripts("mosi", data_home=tmp_path)
    assert list(bunch.ids) == ["v_1", "v_2", "w_1"]
    assert list(bunch.split) == ["train", "valid", "test"]
    # the cache has the layout load_msa_transcripts reads
    again = load_msa_transcripts("mosi", data_dir=tmp_path)
    np.testing.assert_array_equal(again.target, bunch.target)
    with pytest.raises(ValueError, match="name must be"):
        fetch_msa_transcripts("sims", data_home=tmp_path)


def test_fetch_cmu_mosi_labels(server, tmp_path, monkeypatch):
    h5py = pytest.importorskip("h5py")
    source = tmp_path / "source.csd"
    with h5py.File(source, "w") as f:
        f.create_group("Opinion Segment Labels/data/vid")
        f["Opinion Segment Labels/data/vid/features"] = np.array([[1.5], [-0.5]], np.float32)
        f["Opinion Segment Labels/data/vid/intervals"] = np.array([[0.0, 1.0], [1.0, 2.0]])
    body = source.read_bytes()
    url = server.serve("/labels.csd", body)
    monkeypatch.setitem(_fetch.REMOTE_FILES, "mosi_csd_labels",
                        remote([url], body, "mosi/CMU_MOSI_Opinion_Labels.csd"))
    bunch = fetch_cmu_mosi_labels(data_home=tmp_path / "home", folds={"test": ["vid"]})
    assert list(bunch.ids) == ["vid_1", "vid_2"] and list(bunch.split) == ["test", "test"]
    np.testing.assert_array_equal(bunch.target, [1.5, -0.5])


def test_registry_checksums_match_the_shared_copies():
    # the registered SHA-256 values are those of the files the team has, where present
    from mmsense.datasets._paths import shared_data_candidates

    checked = 0
    for remote_file in _fetch.REMOTE_FILES.values():
        for folder in shared_data_candidates():
            path = folder / remote_file.filename
            if path.is_file():
                assert hashlib.sha256(path.read_bytes()).hexdigest() == remote_file.sha256
                checked += 1
    if checked == 0:
        pytest.skip("shared data folder absent")


def test_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MMSENSE_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert (tmp_path / "env").is_dir()
    monkeypatch.delenv("MMSENSE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path / "mmsense_data")
    assert get_data_home(tmp_path / "given") == str(tmp_path / "given")
