"""MediaPipe face mesh on a clip, for comparison with FaceFeatures (run in its own venv).

mediapipe 0.10.21 (the last release whose wheel ships the face-mesh model) pins
numpy<2, so it cannot share mmsense's environment. Measure it in a separate one:

    python -m venv /work/venvs/mediapipe
    /work/venvs/mediapipe/bin/pip install "mediapipe==0.10.21" av
    /work/venvs/mediapipe/bin/python benchmarks/bench_mediapipe_faces.py CLIP.mp4

Sockets are blocked while it runs, so a model download would fail loudly.
Prints the load (uptime), model load time, per-frame speed (median of 3 runs)
and how many sampled frames had a face.
"""

import socket
import statistics
import subprocess
import sys
import time

import av


def frames_at(path, fps):
    out, next_time = [], 0.0
    with av.open(path) as container:
        for frame in container.decode(video=0):
            if frame.time + 1e-6 >= next_time:
                out.append(frame.to_ndarray(format="rgb24"))
                next_time = (int(frame.time * fps + 1e-6) + 1) / fps
    return out


def main(path, fps=5.0):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    frames = frames_at(path, fps)
    start = time.perf_counter()
    import mediapipe as mp

    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1,
                                           refine_landmarks=True)
    print(f"mediapipe {mp.__version__}: import + model load {time.perf_counter() - start:.2f} s")
    times, found = [], 0
    for _ in range(3):
        start, found = time.perf_counter(), 0
        for image in frames:
            result = mesh.process(image)
            if result.multi_face_landmarks:
                found += 1
                n_landmarks = len(result.multi_face_landmarks[0].landmark)
        times.append(time.perf_counter() - start)
    per_frame = statistics.median(times) / len(frames)
    print(f"{len(frames)} frames at {fps} fps: face in {found}; {n_landmarks} landmarks; "
          f"{1 / per_frame:.0f} frames/s; real-time factor at {fps} fps "
          f"{1 / (per_frame * fps):.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
