"""Turn an untrusted upload into a safe stored photo: re-encoded JPEG, no metadata, bounded size.

Pure: no Flask, no database. Everything a citizen could get wrong becomes a PhotoError whose
message is written for them; the GPS position of the original is read before it is discarded.
"""

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass

import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms

from seeclick.geo import LatLon, OutsideWorld

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
# What decoding may hold in memory. Formats other than JPEG decode in full, so their pixels are what
# counts (Pillow keeps 4 bytes a pixel for colour, 1 for grey or a palette, and a palette is expanded
# before resizing). 32 MiB: an 8.4-megapixel PNG or WebP in colour, 6.7 in palette colour, 33.5 in grey
# (a phone's screenshot is 3 to 5 megapixels; its photos are JPEGs). A JPEG is decoded at the smallest
# of 1, 1/2, 1/4 or 1/8 scale that still covers what is stored (draft), so under 4,096 pixels a side:
# 64 MiB at most, whatever its size up to MAX_PIXELS. The worst case per upload: bench/uploads.py.
MAX_DECODED_BYTES = 32 * 1024 * 1024
MAX_JPEG_DECODED_BYTES = 64 * 1024 * 1024
# HEIC, the iPhone's own format, decodes in full too (libheif has no reduced scale): 100 MiB, 26 megapixels
# in colour, so that an iPhone's 12- or 24-megapixel photo is taken as it comes. Measured in bench/uploads.py.
MAX_HEIF_DECODED_BYTES = 100 * 1024 * 1024
# A progressive JPEG is decoded once per scan; normal ones have up to a dozen, a hostile one thousands.
MAX_JPEG_SCANS = 100
# and keeps every coefficient of the full-size image until its last scan (3 bytes a pixel), whatever the
# scale it is drawn at: 20 megapixels at most (phones' photos are baseline JPEGs).
MAX_PROGRESSIVE_PIXELS = 20_000_000
MAX_SIDE = 2048
THUMB_SIDE = 320

JPEG_QUALITY = 82
# Pillow plugins we let near untrusted bytes; the others (EPS runs Ghostscript, TIFF, PSD, ...) never see them.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "HEIF")
# HEIC and HEIF through libheif (pillow-heif), opened like any Pillow format; its small embedded previews unread.
pillow_heif.register_heif_opener(thumbnails=False)

_SRGB = ImageCms.createProfile("sRGB")


class PhotoError(ValueError):
    """An upload that cannot be used; the message is written for the citizen (plain English, says what to do)."""


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    gps: LatLon | None
    sha256: str


def process(data: bytes, filename: str = "") -> ProcessedPhoto:
    """Check, decode and re-encode an upload; read where it was taken."""
    name = _display_name(filename)
    if not data:
        raise PhotoError(_l("The photo%(name)s is empty: choose it again and re-attach it.", name=name))
    if len(data) > MAX_BYTES:
        raise PhotoError(_l("The photo%(name)s is larger than %(mb)d MB: attach a smaller copy (most phones can "
                            "share a photo at a smaller size).", name=name, mb=MAX_BYTES // (1024 * 1024)))
    original = _decode(data, name)
    gps = _gps(original)
    icc_profile = original.info.get("icc_profile")
    exif = original.getexif()
    # Shrink first: every later step (rotation, colour conversion, compositing) then works on at most
    # MAX_SIDE x MAX_SIDE pixels, whatever size the upload was.
    stored = _resizable(original)
    stored.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    stored = _rotated(stored, exif)
    stored = _to_srgb(stored, icc_profile)
    thumb = stored.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    image = _encode(stored)
    return ProcessedPhoto(image=image, thumbnail=_encode(thumb), width=stored.width, height=stored.height, gps=gps,
                          sha256=hashlib.sha256(image).hexdigest())


def _display_name(filename: str) -> str:
    """The file's own name, quoted for a message, or nothing."""
    # Old browsers send a full Windows path; control characters have no place in a sentence.
    base = re.sub(r"[\x00-\x1f\x7f]", "", re.split(r"[\\/]", filename or "")[-1]).strip()
    if len(base) > 80:
        base = base[:77] + "..."
    return f' "{base}"' if base else ""


def _too_many_pixels(name: str, size: tuple[int, int] | None = None) -> PhotoError:
    limit = f"{MAX_PIXELS / 1_000_000:g}"
    if size:
        return PhotoError(_l("The photo%(name)s is %(size)s megapixels, more than the %(limit)s megapixels we accept: "
                             "attach a smaller copy.", name=name, size=f"{size[0] * size[1] / 1_000_000:.1f}",
                             limit=limit))
    return PhotoError(_l("The photo%(name)s is larger than %(limit)s megapixels, the most we accept: attach a smaller "
                         "copy.", name=name, limit=limit))


def _resizable(image: Image.Image) -> Image.Image:
    """A mode Pillow resizes smoothly: palettes and 1-bit images expanded, 16-bit greys scaled to 8 bits."""
    if image.mode in ("P", "PA", "1"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        # scale to 8 bits, or convert() would clip nearly everything to white
        return image.convert("I").point(lambda v: v / 256).convert("L")
    return image


def _rotated(image: Image.Image, exif) -> Image.Image:
    """Turned upright as the camera's orientation tag says (read from the original, before resizing)."""
    try:
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                  5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                  8: Image.Transpose.ROTATE_90}.get(orientation)
    except Exception:
        return image  # broken EXIF only costs the rotation; the picture itself decoded fine
    return image.transpose(method) if method is not None else image


def _stored_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size an image of this size is stored at: within MAX_SIDE x MAX_SIDE, never enlarged."""
    scale = min(1.0, MAX_SIDE / max(size))
    return max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))


def decoded_bytes(image: Image.Image) -> int:
    """What holding the decoded image costs, from its header (and, for a JPEG, the scale it will be decoded at)."""
    pixel = 1 if image.mode in ("1", "L", "P") else 2 if image.mode.startswith("I;16") else 4
    expanded = 4 if image.mode in ("1", "P", "PA") else 0  # a palette becomes RGB(A) before resizing
    return image.width * image.height * (pixel + expanded)


def _jpeg_scans(data: bytes) -> int:
    """How many scans (SOS markers) a JPEG holds; inside scan data 0xFF is always followed by 0x00 or a restart."""
    return data.count(b"\xff\xda")


def _decode(data: bytes, name: str) -> Image.Image:
    """Open the upload, refuse it by its header if it is too big, then decode it in full."""
    # Pillow warns (and later raises) about decompression bombs; make both an error we answer.
    # catch_warnings swaps the process-wide filter list (not thread-safe before Python 3.14); the worst a race
    # between two uploads can do is leave this same filter installed.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name) from None
        except Exception:
            # Pillow raises many types for bytes it cannot identify; to the citizen they all mean one thing.
            raise PhotoError(_l("The file%(name)s is not a photo we can read: use a JPEG, HEIC, PNG or WebP "
                                "image.", name=name)) from None
        # Image.open only read the header: refuse a decompression bomb before it is decoded.
        if image.width * image.height > MAX_PIXELS:
            raise _too_many_pixels(name, image.size)
        pixels = image.width * image.height
        # JPEG can decode at 1/2, 1/4 or 1/8 scale, never below the size it is stored at: far less memory and time.
        image.draft(None, _stored_size(image.size))
        limit = {"JPEG": MAX_JPEG_DECODED_BYTES, "HEIF": MAX_HEIF_DECODED_BYTES}.get(image.format, MAX_DECODED_BYTES)
        if decoded_bytes(image) > limit:
            raise _too_costly(name, image)
        progressive = image.format == "JPEG" and (image.info.get("progressive") or image.info.get("progression"))
        if image.format == "JPEG" and (_jpeg_scans(data) > MAX_JPEG_SCANS or (
                progressive and pixels > MAX_PROGRESSIVE_PIXELS)):
            raise PhotoError(_l("The photo%(name)s is saved in a way that takes too long to open: save it again as an "
                                "ordinary JPEG (any phone or editor does), or attach a smaller copy.", name=name))
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name) from None
        except Exception:
            # A readable header with undecodable data is nearly always an upload that stopped part way.
            raise PhotoError(_l("The photo%(name)s was cut short or damaged on its way to us: please try attaching it "
                                "again.", name=name)) from None
    return image


def _too_costly(name: str, image: Image.Image) -> PhotoError:
    megapixels = image.width * image.height / 1_000_000
    return PhotoError(_l("The image%(name)s is %(size)s megapixels, too large to open in this format: attach it as a "
                         "JPEG (a phone's photo is one), or a smaller copy.", name=name, size=f"{megapixels:.1f}"))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The image as plain sRGB: transparency on white, colour profile applied rather than kept."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    elif image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if icc_profile:
        # Phones shoot in wide-gamut profiles (Display P3); dropping the profile unapplied would dull the colours.
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB,
                                              outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: the plain conversion below is close enough
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image) -> bytes:
    """Encode as JPEG with no metadata at all."""
    # Pillow copies some things (the JPEG comment) from .info when saving; leave it nothing to copy.
    image.info.clear()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _gps(image: Image.Image) -> LatLon | None:
    """Where the original says it was taken (EXIF GPS), or None if it does not say so sensibly."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
        lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    except Exception:
        # Malformed EXIF fails in many ways inside Pillow; the position is only ever a suggestion.
        return None
    if lat is None or lon is None or (lat == 0 and lon == 0):
        # (0, 0) is what cameras write when they had no fix, not a report from the Gulf of Guinea.
        return None
    try:
        return LatLon(lat, lon)
    except OutsideWorld:
        return None


def _degrees(dms, ref, positive: str, negative: str) -> float | None:
    """Degrees, minutes, seconds and a hemisphere letter as signed decimal degrees."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    hemisphere = ref.strip("\x00 ").upper() if isinstance(ref, str) else None
    if hemisphere not in (positive, negative) or dms is None:
        return None  # without a hemisphere the sign is a guess, and a wrong place is worse than none
    parts = [float(part) for part in (dms if isinstance(dms, tuple | list) else [dms])]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    if any(p >= 60 for p in parts[1:]):
        return None
    value = sum(p / 60**i for i, p in enumerate(parts))
    return -value if hemisphere == negative else value
