"""MediaPipe face mesh on a clip, for comparison with FaceFeatures (run in its own venv).

mediapipe 0.10.21 (the last release whose wheel ships the face-mesh model) pins
numpy<2, so it cannot share mmsense's environment. Measure it in a separate one:

    python -m venv /work/venvs/mediapipe
    /work/venvs/mediapipe/bin/pip install "mediapipe==0.10.21" av
    /work/venvs/mediapipe/bin/python -m benchmarks.bench_mediapipe_faces CLIP.mp4

Sockets are blocked while it runs, so a model download would fail loudly.
Prints the load average, model load time, per-frame speed (median of 3 runs)
and how many sampled frames had a face. It imports neither mmsense nor
``benchmarks._common`` (which does): that venv has no mmsense.
"""

import argparse
import os
import socket
import statistics
import time


def frames_at(path, fps):
    import av

    out, next_time = [], 0.0
    with av.open(path) as container:
        for frame in container.decode(video=0):
            if frame.time + 1e-6 >= next_time:
                out.append(frame.to_ndarray(format="rgb24"))
                next_time = (int(frame.time * fps + 1e-6) + 1) / fps
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", help="video file")
    parser.add_argument("--fps", type=float, default=5.0, help="frames sampled per second")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    path, fps = args.clip, args.fps

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    print("load: load average %.1f %.1f %.1f" % os.getloadavg())
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
    main()
