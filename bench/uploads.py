"""What one photo upload can cost a worker, at the limits of seeclick.photos.processing, beside a phone photo.

    .venv/bin/python bench/uploads.py [--rounds 3]

Each case is processed in a fresh child process (forked from this one, which has Pillow imported),
round after round with the cases interleaved; printed: the best time of the rounds, the child's
peak resident memory above that of a child that did nothing (ru_maxrss), and the ratio of the time
to the floor's: a 12-megapixel phone JPEG, processed in the same run. A refused case costs the header
read only. The images are made here (noise compresses worst, so it is the slowest to decode
for its pixels; flat colour makes the smallest files for the most pixels; HEIC through pillow-heif's
x265); each is the costliest of its format that the limits let through, within the 15 MB a file may be.
One more case is the phone JPEG processed and then written, image and thumbnail, to the local photo
store (seeclick/photos/storage.py: a temporary file synced, then renamed) in a temporary directory:
what keeping the bytes out of the database adds to an upload.
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time

from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from seeclick.photos import processing, storage  # noqa: E402

STORED = "phone JPEG 12 MP, + written to the local store"


def busy(mode, size):
    """Detail in every pixel, as compressible as a photo: a gradient in one channel, noise in the others."""
    noise = Image.effect_noise(size, 40)
    gradient = Image.linear_gradient("L").resize(size)
    if mode == "L":  # fainter noise: 33 megapixels of grey must still fit in 15 MB
        return Image.blend(gradient, noise, 0.04)
    if mode == "P":
        return Image.merge("RGB", (gradient, noise, gradient)).quantize(256)
    bands = {"RGB": (gradient, noise, gradient), "RGBA": (gradient, noise, gradient, gradient)}[mode]
    return Image.merge(mode, bands)


def noisy(size):
    noise = Image.effect_noise(size, 40)
    return Image.merge("RGB", (noise, noise, noise))


def saved(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def side(pixel_bytes):
    """The side of the largest square image of this cost per pixel that processing accepts."""
    return int((processing.MAX_DECODED_BYTES / pixel_bytes) ** 0.5)


def cases():
    colour, palette, grey = side(4), side(5), side(1)
    heif = int((processing.MAX_HEIF_DECODED_BYTES / 4) ** 0.5)
    phone = saved(busy("RGB", (4032, 3024)), "JPEG", quality=85)
    return [
        ("floor: phone JPEG 4032x3024 (12 MP)", phone),
        (STORED, phone),
        ("JPEG 7744x5163 (40 MP), baseline", saved(noisy((7744, 5163)), "JPEG", quality=50)),
        ("JPEG 5477x3651 (20 MP), progressive", saved(noisy((5477, 3651)), "JPEG", quality=70, progressive=True)),
        ("refused: JPEG 7744x5163 (40 MP), progressive",
         saved(noisy((7744, 5163)), "JPEG", quality=50, progressive=True)),
        (f"PNG RGB {colour}x{colour} (at the limit)", saved(busy("RGB", (colour, colour)), "PNG", compress_level=1)),
        (f"PNG RGBA {colour}x{colour} (at the limit)", saved(busy("RGBA", (colour, colour)), "PNG", compress_level=1)),
        (f"PNG grey {grey}x{grey} (at the limit)", saved(busy("L", (grey, grey)), "PNG", compress_level=6)),
        (f"PNG palette {palette}x{palette} (at the limit)", saved(busy("P", (palette, palette)), "PNG")),
        (f"WebP RGB {colour}x{colour} (at the limit)", saved(noisy((colour, colour)), "WEBP", quality=80, method=0)),
        (f"GIF {palette}x{palette} (at the limit)", saved(busy("P", (palette, palette)), "GIF")),
        ("BMP RGB 2236x2236 (the 15 MB file limit)", saved(busy("RGB", (2236, 2236)), "BMP")),
        # x265's fastest preset: the files are larger for the same picture, so slower to decode, and made in seconds.
        ("HEIC 4032x3024 (12 MP, an iPhone's), noise", saved(noisy((4032, 3024)), "HEIF", quality=60,
                                                            enc_params={"preset": "ultrafast"})),
        (f"HEIC {heif}x{heif} (at the limit), noise", saved(noisy((heif, heif)), "HEIF", quality=30,
                                                          enc_params={"preset": "ultrafast"})),
        ("refused: PNG RGB 7280x5456 (39.7 MP, 154 KB)", saved(Image.new("RGB", (7280, 5456), (90, 120, 200)), "PNG")),
    ]


def run_in_child(data, directory=None):
    """(seconds, peak KB of the child, outcome) for processing data in a fresh child process (and storing it)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        started = time.perf_counter()
        try:
            processed = processing.process(data, "bench")
            if directory:
                store, key = storage.LocalStore(directory), storage.new_key()
                store.put(storage.object_name(key, thumbnail=True), processed.thumbnail)
                store.put(storage.object_name(key), processed.image)
            outcome = "stored"
        except processing.PhotoError:
            outcome = "refused"
        elapsed = time.perf_counter() - started
        os.write(write, f"{elapsed} {outcome}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        elapsed, outcome = pipe.read().split()
    _, _, usage = os.wait4(pid, 0)
    return float(elapsed), usage.ru_maxrss, outcome


def idle_child_kb():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return os.wait4(pid, 0)[2].ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    made = cases()
    idle = idle_child_kb()
    best = {name: (float("inf"), 0, "") for name, _ in made}
    directory = tempfile.mkdtemp(prefix="seeclick-bench-photos-")
    for _ in range(args.rounds):
        for name, data in made:
            seconds, kb, outcome = run_in_child(data, directory if name == STORED else None)
            if seconds < best[name][0]:
                best[name] = (seconds, max(kb - idle, 0), outcome)
            else:
                best[name] = (best[name][0], max(best[name][1], kb - idle), outcome)
    shutil.rmtree(directory)
    floor = best[made[0][0]][0]
    print(f"limits: {processing.MAX_PIXELS / 1e6:g} MP, {processing.MAX_DECODED_BYTES >> 20} MiB decoded, "
          f"{processing.MAX_BYTES >> 20} MB a file, {processing.MAX_JPEG_SCANS} JPEG scans, "
          f"{processing.MAX_PROGRESSIVE_PIXELS / 1e6:g} MP progressive, {processing.MAX_HEIF_DECODED_BYTES >> 20} MiB "
          f"HEIC; best of {args.rounds} rounds")
    print(f"{'case':48} {'file':>9} {'outcome':>8} {'seconds':>8} {'x floor':>8} {'+MB':>6}")
    for name, data in made:
        seconds, kb, outcome = best[name]
        print(f"{name:48} {len(data) / 1e6:8.2f}M {outcome:>8} {seconds:8.3f} {seconds / floor:8.2f} {kb / 1024:6.0f}")


if __name__ == "__main__":
    main()
