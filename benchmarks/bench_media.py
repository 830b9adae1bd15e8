"""Speed of the clip feature extractors: real-time factor and first-call cost.

Real-time factor (RTF) = seconds of media per second of extraction (above 1 is
faster than real time). Each figure is the median of ``--repeats`` runs in this
process after a warm-up call, next to the baseline of decoding alone (PyAV),
measured here too. The first-call cost (imports, numba JIT of pYIN, loading
the Haar cascades) is timed in fresh processes, since that is what a user of
``mmsense extract`` pays on every run.

    python -m benchmarks.bench_media [--clips A.mp4 B.wav] [--repeats 3] [--fresh 2]

Default clips: the CMU-MOSI samples under ../shared/data/mosi/raw_samples
(or $MMSENSE_SHARED_DATA). Other engineers share this machine's CPUs, so the
load average is printed before and after.
"""

import statistics
import subprocess
import sys

from benchmarks._common import (load_average, make_parser, median_seconds,
                                shared_data_candidates)
from mmsense.feature_extraction import AudioFeatures, FaceFeatures, read_audio, read_frames

FIRST_CALL = """
import time, sys
start, start_cpu = time.perf_counter(), time.process_time()
from mmsense.feature_extraction import {cls}
{cls}().transform([sys.argv[1]])
print(time.perf_counter() - start, time.process_time() - start_cpu)
"""


def default_clips():
    for folder in shared_data_candidates():
        folder = folder / "mosi" / "raw_samples"
        if folder.is_dir():
            return [str(p) for p in sorted(folder.iterdir()) if p.suffix in (".mp4", ".wav")]
    sys.exit("no clips given and the CMU-MOSI raw samples were not found")


def media_seconds(path, video):
    import av

    with av.open(path) as container:
        streams = container.streams.video if video else container.streams.audio
        if not streams:
            return None
        stream = streams[0]
        return float(stream.duration * stream.time_base)


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--clips", nargs="+")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fresh", type=int, default=2, help="fresh processes for the first call")
    return parser.parse_args(argv)


def speed_rows(clips, repeats):
    """(extractor, clip, media s, decode s, extract s, extract CPU s) per extractor and clip."""
    rows = []
    for cls, video in ((AudioFeatures, False), (FaceFeatures, True)):
        for clip in clips:
            seconds = media_seconds(clip, video)
            if seconds is None:
                continue
            extractor = cls()
            extractor.transform([clip])  # warm-up (JIT, cascades)
            decode = (lambda c=clip: read_frames(c, extractor.fps)) if video else \
                (lambda c=clip: read_audio(c, extractor.sample_rate))
            t_decode, _ = median_seconds(decode, repeats)
            t_extract, cpu = median_seconds(lambda c=clip: extractor.transform([c]), repeats)
            rows.append((cls.__name__, clip.rsplit("/", 1)[-1], seconds, t_decode, t_extract,
                         cpu))
    return rows


def print_speed(rows):
    print(f"\n{'extractor':<14}{'clip':<22}{'media s':>8}{'decode s':>10}{'extract s':>11}"
          f"{'RTF':>7}{'extract/decode':>16}{'CPU s':>8}{'RTF(CPU)':>10}")
    for name, clip, seconds, t_decode, t_extract, cpu in rows:
        print(f"{name:<14}{clip:<22}{seconds:>8.2f}{t_decode:>10.3f}{t_extract:>11.3f}"
              f"{seconds / t_extract:>7.2f}{t_extract / t_decode:>16.1f}{cpu:>8.2f}"
              f"{seconds / cpu:>10.2f}")


def print_first_calls(clips, fresh):
    print(f"\nfirst call in a fresh process (import + one clip), median of {fresh}:")
    for cls, video in (("AudioFeatures", False), ("FaceFeatures", True)):
        clip = next(c for c in clips if media_seconds(c, video) is not None)
        runs = [[float(v) for v in subprocess.run(
                    [sys.executable, "-c", FIRST_CALL.format(cls=cls), clip],
                    capture_output=True, text=True, check=True).stdout.split()]
                for _ in range(fresh)]
        wall, cpu = zip(*runs)
        print(f"  {cls:<14} {clip.rsplit('/', 1)[-1]:<22} wall {statistics.median(wall):.2f} s, "
              f"CPU {statistics.median(cpu):.2f} s (wall per run: "
              f"{', '.join(f'{t:.2f}' for t in wall)})")


def main(argv=None):
    args = parse_args(argv)
    clips = args.clips or default_clips()
    print("load before:", load_average())
    print_speed(speed_rows(clips, args.repeats))
    print_first_calls(clips, args.fresh)
    print("\nload after:", load_average())


if __name__ == "__main__":
    main()
