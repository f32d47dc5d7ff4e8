"""Photo processing: what a citizen uploads comes back upright, small, in JPEG and without its metadata."""

import hashlib
import io
import struct
import warnings
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile
from PIL.TiffImagePlugin import IFDRational

from seeclick.photos import processing
from seeclick.photos.processing import (
    MAX_BYTES,
    MAX_DECODED_BYTES,
    MAX_JPEG_SCANS,
    MAX_SIDE,
    THUMB_SIDE,
    PhotoError,
    process,
)

CAMERA_MAKE = "Acme Photonics"


def encode(image, fmt="JPEG", **params):
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def dms(degrees):
    """Decimal degrees as the EXIF (degrees, minutes, seconds) rationals a phone writes."""
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = round(((degrees - whole) * 60 - minutes) * 60 * 10000)
    return (IFDRational(whole), IFDRational(minutes), IFDRational(seconds, 10000))


def gps_ifd(lat, lon):
    return {ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S", ExifTags.GPS.GPSLatitude: dms(abs(lat)),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W", ExifTags.GPS.GPSLongitude: dms(abs(lon))}


def phone_jpeg(size=(640, 480), gps=None, orientation=None):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = "Pocket 9"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    return encode(Image.radial_gradient("L").resize(size).convert("RGB"), exif=exif, comment=b"secret note")


def iphone_heic(size=(640, 480), gps=None, orientation=None):
    """A real HEIC, as an iPhone saves its photos (HEVC through libheif), with the same camera data as phone_jpeg."""
    image = Image.open(io.BytesIO(phone_jpeg(size, gps, orientation)))
    return encode(image, "HEIF", quality=80, exif=image.getexif().tobytes())


def reopen(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data):
    image = reopen(data)
    assert image.format == "JPEG"
    assert not image.getexif()
    for key in ("exif", "icc_profile", "comment", "xmp"):
        assert key not in image.info
    assert b"Exif" not in data
    assert CAMERA_MAKE.encode() not in data
    assert b"secret note" not in data


def test_phone_photo_gives_its_place_and_keeps_none_of_its_metadata():
    photo = process(phone_jpeg(gps=gps_ifd(40.6782, -73.9442)), "IMG_0001.jpg")

    assert photo.gps.lat == pytest.approx(40.6782, abs=1e-4)
    assert photo.gps.lon == pytest.approx(-73.9442, abs=1e-4)
    assert_no_metadata(photo.image)
    assert_no_metadata(photo.thumbnail)
    assert reopen(photo.image).size == (photo.width, photo.height) == (640, 480)
    assert max(reopen(photo.thumbnail).size) <= THUMB_SIDE
    assert photo.sha256 == hashlib.sha256(photo.image).hexdigest()


def test_an_iphone_heic_photo_gives_its_place_and_is_kept_as_a_jpeg_without_its_metadata():
    data = iphone_heic(gps=gps_ifd(40.6782, -73.9442))
    assert data[4:12] == b"ftypheic" and CAMERA_MAKE.encode() in data  # a real HEIC, camera data and all

    photo = process(data, "IMG_0007.HEIC")
    assert photo.gps.lat == pytest.approx(40.6782, abs=1e-4) and photo.gps.lon == pytest.approx(-73.9442, abs=1e-4)
    assert_no_metadata(photo.image)
    assert_no_metadata(photo.thumbnail)
    assert (photo.width, photo.height) == (640, 480)


def test_a_sideways_heic_is_stored_upright():
    photo = process(iphone_heic(size=(64, 48), orientation=6), "IMG_0008.HEIC")
    assert (photo.width, photo.height) == (48, 64)


def test_a_heic_too_costly_to_decode_is_refused_from_its_header(monkeypatch):
    monkeypatch.setattr(processing, "MAX_HEIF_DECODED_BYTES", 640 * 480 * 4 - 1)  # one byte short of this photo
    with pytest.raises(PhotoError, match=r"0\.3 megapixels, too large to open in this format"):
        process(iphone_heic(), "IMG_0009.HEIC")
    monkeypatch.setattr(processing, "MAX_HEIF_DECODED_BYTES", 640 * 480 * 4)
    assert process(iphone_heic(), "IMG_0009.HEIC").width == 640


def test_southern_and_eastern_hemispheres_are_negative_latitude_positive_longitude():
    photo = process(phone_jpeg(gps=gps_ifd(-33.8568, 151.2153)))

    assert photo.gps.lat == pytest.approx(-33.8568, abs=1e-4)
    assert photo.gps.lon == pytest.approx(151.2153, abs=1e-4)


def test_photo_without_gps_has_no_place():
    assert process(phone_jpeg()).gps is None


@pytest.mark.parametrize("gps", [
    {**gps_ifd(40.6782, -73.9442), ExifTags.GPS.GPSLatitude: dms(123)},  # no such latitude
    {**gps_ifd(40.6782, -73.9442), ExifTags.GPS.GPSLongitudeRef: ""},  # no hemisphere: the sign is unknown
    {**gps_ifd(40.6782, -73.9442), ExifTags.GPS.GPSLatitude: (IFDRational(40, 0), IFDRational(0), IFDRational(0))},
    {**gps_ifd(40.6782, -73.9442), ExifTags.GPS.GPSLatitude: (IFDRational(40), IFDRational(75), IFDRational(0))},
    {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: dms(40.6782)},  # no longitude
    gps_ifd(0, 0),  # a camera without a fix
], ids=["latitude-123", "no-ref", "zero-denominator", "75-minutes", "no-longitude", "null-island"])
def test_bad_gps_is_ignored_and_the_photo_accepted(gps):
    photo = process(phone_jpeg(gps=gps))

    assert photo.gps is None
    assert (photo.width, photo.height) == (640, 480)


def test_sideways_phone_photo_is_stored_upright():
    # Orientation 6: the camera was turned a quarter clockwise, so what it stored as the left edge is the top.
    sideways = Image.new("RGB", (400, 200), "blue")
    sideways.paste("red", (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6

    photo = process(encode(sideways, exif=exif))

    assert (photo.width, photo.height) == (200, 400)
    upright = reopen(photo.image).convert("RGB")
    red, _, blue = upright.getpixel((100, 50))
    assert red > 200 and blue < 60
    red, _, blue = upright.getpixel((100, 350))
    assert blue > 200 and red < 60


def test_large_photo_is_scaled_down_keeping_its_shape():
    photo = process(encode(Image.new("RGB", (5000, 3000), "green")))

    assert (photo.width, photo.height) == (MAX_SIDE, round(MAX_SIDE * 3 / 5))
    thumb = reopen(photo.thumbnail)
    assert thumb.width == THUMB_SIDE
    assert thumb.height == pytest.approx(THUMB_SIDE * 3 / 5, abs=1)


def test_small_photo_is_not_enlarged():
    photo = process(encode(Image.new("RGB", (120, 90), "green")))

    assert (photo.width, photo.height) == (120, 90)
    assert reopen(photo.thumbnail).size == (120, 90)


def test_transparent_png_becomes_a_jpeg_on_white():
    logo = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    logo.paste((255, 0, 0, 255), (100, 50, 200, 150))

    photo = process(encode(logo, "PNG"), "sign.png")

    stored = reopen(photo.image)
    assert stored.format == "JPEG" and stored.mode == "RGB"
    assert all(channel > 240 for channel in stored.getpixel((10, 10)))
    red, green, blue = stored.getpixel((150, 100))
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "HEIF"])
def test_every_accepted_format_is_stored_as_jpeg(fmt):
    photo = process(encode(Image.new("RGB", (64, 48), "orange"), fmt))

    assert reopen(photo.image).format == "JPEG"
    assert (photo.width, photo.height) == (64, 48)


@pytest.mark.parametrize("data, filename", [
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "receipt.pdf"),
    (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "photo.jpg"),
    (b"There is a pothole outside number 12.\n", "notes.txt"),
    (encode(Image.new("RGB", (64, 48)), "TIFF"), "scan.tiff"),  # an image, but not a format we accept
])
def test_anything_but_a_photo_is_refused_by_name(data, filename):
    with pytest.raises(PhotoError) as refused:
        process(data, filename)

    assert str(refused.value) == (
        f'The file "{filename}" is not a photo we can read: use a JPEG, HEIC, PNG or WebP image.'
    )


def test_only_the_file_name_is_shown_not_the_path():
    with pytest.raises(PhotoError, match=r'"notes\.txt"') as refused:
        process(b"not a photo", "C:\\Users\\ana\\Desktop\\notes.txt")

    assert "Users" not in str(refused.value)


def test_empty_upload_is_refused():
    with pytest.raises(PhotoError, match="empty"):
        process(b"", "IMG_0002.jpg")


def test_upload_over_the_size_limit_is_refused():
    with pytest.raises(PhotoError, match="15 MB"):
        process(b"\xff\xd8\xff" + bytes(MAX_BYTES), "huge.jpg")


def test_truncated_upload_is_refused_as_cut_short():
    data = encode(Image.effect_noise((800, 600), 60).convert("RGB"), quality=90)

    with pytest.raises(PhotoError, match="cut short"):
        process(data[: len(data) * 6 // 10], "IMG_0003.jpg")


def test_too_many_megapixels_is_refused_before_decoding(monkeypatch):
    # 8000 x 6300 = 50.4 megapixels; one colour, so the PNG itself is tiny.
    data = encode(Image.new("1", (8000, 6300)), "PNG")
    assert len(data) < MAX_BYTES

    def decode(self):
        raise AssertionError("decoded a photo that is too big to decode")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    with pytest.raises(PhotoError, match=r"50\.4 megapixels.*40 megapixels"):
        process(data, "panorama.png")


def test_a_png_is_limited_by_what_decoding_it_costs_not_only_by_pixels(monkeypatch):
    """A 154 KB PNG of 39.7 megapixels used to take 1.6 s and 575 MB: it is refused from its header now."""
    data = encode(Image.new("RGB", (7280, 5456), (90, 120, 200)), "PNG")
    assert len(data) < 200_000

    def decode(self):
        raise AssertionError("decoded an image too costly to decode")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    with pytest.raises(PhotoError, match=r"39\.7 megapixels, too large to open in this format: attach it as a JPEG"):
        process(data, "screenshot.png")


def test_a_jpeg_of_the_same_size_is_decoded_at_a_reduced_scale_and_kept():
    photo = process(encode(Image.new("RGB", (7280, 5456), (90, 120, 200)), quality=80), "camera.jpg")
    assert (photo.width, photo.height) == (2048, 1535)


def test_a_grey_png_costs_a_quarter_of_a_colour_one():
    side = int((MAX_DECODED_BYTES / 4) ** 0.5) + 100  # just over the limit in colour, well under it in grey
    assert process(encode(Image.new("L", (side, side), 128), "PNG"), "grey.png").width == MAX_SIDE
    with pytest.raises(PhotoError, match="too large to open in this format"):
        process(encode(Image.new("RGB", (side, side), (1, 2, 3)), "PNG"), "colour.png")
    with pytest.raises(PhotoError, match="too large to open in this format"):  # a palette is expanded to colour
        process(encode(Image.new("P", (side, side), 3), "PNG"), "palette.png")


def test_a_progressive_jpeg_of_too_many_scans_is_refused():
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16
    data = encode(Image.new("RGB", (64, 48), (1, 2, 3)), progressive=True)
    hostile = data[:-2] + scan * (MAX_JPEG_SCANS + 1) + data[-2:]
    with pytest.raises(PhotoError, match="takes too long to open"):
        process(hostile, "scans.jpg")
    assert process(data, "ordinary.jpg").width == 64  # a dozen scans is ordinary


def test_a_large_progressive_jpeg_is_refused_and_the_same_baseline_one_kept():
    image = Image.new("RGB", (6000, 4000), (90, 120, 200))  # 24 megapixels
    with pytest.raises(PhotoError, match="takes too long to open"):
        process(encode(image, quality=60, progressive=True), "web.jpg")
    assert process(encode(image, quality=60), "camera.jpg").width == MAX_SIDE


def png_header_only(width, height):
    """A PNG that claims a size but holds almost no data: what a decompression bomb looks like to Image.open."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(10_000, 10_000), (20_000, 10_000)], ids=["pillow-warns", "pillow-raises"])
def test_pillows_own_decompression_bomb_checks_become_a_photo_error(width, height):
    # Pillow warns above 89 megapixels and raises above twice that, both inside Image.open.
    # Record warnings as production does (the suite makes them errors): none may escape.
    with warnings.catch_warnings(record=True) as escaped, pytest.raises(PhotoError, match="megapixels"):
        warnings.simplefilter("always")
        process(png_header_only(width, height), "bomb.png")

    assert not escaped


def test_colour_profile_is_applied_not_stored():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    photo = process(encode(Image.new("RGB", (64, 48), (200, 30, 30)), icc_profile=srgb))

    assert_no_metadata(photo.image)
    red, green, blue = reopen(photo.image).getpixel((32, 24))
    assert red > 180 and green < 60 and blue < 60
