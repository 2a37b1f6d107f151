"""Checks on evidence uploads: what a file IS decides whether it is kept, never its name or the
type the browser claims.

`check_upload` accepts JPEG, PNG and WebP photos and PDF documents. It reads the bytes, detects
the type from its magic bytes (`filetype`), opens images with Pillow and decodes them, refuses
decompression bombs and files that also carry HTML or script (polyglots), then sets the upload's
`content_type` and the extension of its name to what was detected. The evidence view serves the
stored type with nosniff and a sandbox CSP, so even a file that slipped through cannot run.
"""

import re
import unicodedata
import warnings
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

import filetype
import pikepdf
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# A 40-megapixel photo is larger than any phone takes; beyond it decoding costs too much memory.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Kind:
    mime: str
    extension: str
    pillow_formats: tuple[str, ...] = ()

    @property
    def is_image(self) -> bool:
        return bool(self.pillow_formats)


JPEG = Kind("image/jpeg", "jpg", ("JPEG", "MPO"))  # MPO: multi-picture JPEG from some cameras
PNG = Kind("image/png", "png", ("PNG",))
WEBP = Kind("image/webp", "webp", ("WEBP",))
PDF = Kind("application/pdf", "pdf")
# Detected type (filetype) → what we store. APNG is a PNG that browsers animate.
ACCEPTED = {"image/jpeg": JPEG, "image/png": PNG, "image/apng": PNG, "image/webp": WEBP, "application/pdf": PDF}
ACCEPTED_CONTENT_TYPES = frozenset(k.mime for k in ACCEPTED.values())
# For <input accept="...">: a hint to the phone's picker only, the server decides.
ACCEPT_ATTRIBUTE = ".jpg,.jpeg,.png,.webp,.pdf,image/jpeg,image/png,image/webp,application/pdf"

# Markup or script in an image or PDF means a polyglot made to be run by a browser that sniffs;
# real photos don't contain these (the odds of one appearing at random in 10 MB are negligible).
# Short tags need a delimiter after them, which keeps chance matches in compressed data rare.
MARKUP = re.compile(
    rb"<(?:script|iframe|object|embed|html|body|svg)[\s>/]|<!doctype\s+html|<\?php|javascript:",
    re.IGNORECASE,
)
# PDF features that run code or carry other files in the mediator's viewer. A script action
# always names its type (/S /JavaScript); short names like /JS would match binary streams by
# chance. This byte scan is the cheap first filter; _pdf_active then reads every object with
# pikepdf, those inside compressed object streams included.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z])")
# Keys that make a viewer act by itself: on opening the document (/OpenAction, unless it is only
# the page to open at) and on events of a page, a field or the document (/AA, additional actions).
# Whatever those actions are (/URI, /SubmitForm, /Launch, /JavaScript...), the file is refused.
# Anywhere else (a link the mediator would click, for example), actions that run a script, start a
# program, send or import form data, or open another file are refused too; plain /URI links are not.
PDF_ACTIVE_KEYS = frozenset({"/AA", "/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"})
PDF_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Rendition", "/RichMediaExecute"}
)
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
EXTENSION_ALIASES = {"jpg": {"jpg", "jpeg", "jpe"}}
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"

MESSAGES = {
    "empty": _("“%(name)s” is empty."),
    "too_big": _("“%(name)s” is %(size)s; a file can be at most %(max)s."),
    "type": _("“%(name)s” is not a photo (JPEG, PNG or WebP) or a PDF document."),
    "heic": _("“%(name)s” is a HEIC photo, which cannot be checked here. Save it as JPEG and upload it again."),
    "broken_image": _("“%(name)s” is damaged or incomplete and cannot be opened as a picture."),
    "too_many_pixels": _("“%(name)s” has too many pixels (at most %(max)s megapixels)."),
    "markup": _("“%(name)s” contains web page code and is refused."),
    "pdf": _("“%(name)s” is not a valid PDF document."),
    "pdf_active": _("“%(name)s” contains scripts or embedded files and is refused. Print it to a new PDF first."),
    "pdf_encrypted": _("“%(name)s” is password-protected and cannot be checked. Save it without a password first."),
    "too_many_files": _("You can attach at most %(max)s files."),
}


def _error(code: str, name: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params={"name": name, **params})


def check_upload(upload) -> None:
    """Accept the upload or raise ValidationError; on success set `upload.content_type` and
    give `upload.name` the extension of the detected type (the stored name is random anyway)."""
    name = display_name(getattr(upload, "name", "") or "")
    size = upload.size or 0
    if size > MAX_BYTES:  # refuse before reading anything
        raise _error("too_big", name, size=filesizeformat(size), max=filesizeformat(MAX_BYTES))
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    upload.seek(0)
    if not data:
        raise _error("empty", name)
    if len(data) > MAX_BYTES:  # the declared size lied
        raise _error("too_big", name, size=filesizeformat(len(data)), max=filesizeformat(MAX_BYTES))

    guessed = filetype.guess(data[:8192])
    mime = guessed.mime if guessed else ""
    if mime in ("image/heic", "image/heif", "image/avif"):
        raise _error("heic", name)
    kind = ACCEPTED.get(mime)
    if kind is None:
        raise _error("type", name)
    if kind.is_image:
        _check_image(data, kind, name)
    else:
        _check_pdf(data, name)
    upload.content_type = kind.mime
    upload.name = normalised_name(name, kind.extension)


def check_uploads(uploads) -> None:
    """Check a list of uploads; every file's problem is reported, not only the first."""
    uploads = list(uploads)
    errors = []
    if len(uploads) > MAX_FILES:
        errors.append(ValidationError(MESSAGES["too_many_files"], code="too_many_files", params={"max": MAX_FILES}))
    for upload in uploads:
        try:
            check_upload(upload)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)


def _check_image(data: bytes, kind: Kind, name: str) -> None:
    if MARKUP.search(data) or b"%PDF-" in data[:1024]:
        raise _error("markup", name)
    if kind is PNG and not data.endswith(PNG_END):
        # Nothing may follow IEND: trailing bytes are how PNG polyglots carry a second file.
        raise _error("broken_image", name)
    if kind is WEBP and int.from_bytes(data[4:8], "little") + 8 != len(data):
        raise _error("broken_image", name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=kind.pillow_formats) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _error("too_many_pixels", name, max=MAX_PIXELS // 1_000_000)
                image.verify()  # structure and checksums (PNG chunk CRCs)
            # verify() does not decode; a truncated JPEG or WebP only shows when the data is
            # decoded. JPEG decodes at 1/8 scale (draft), which still reads every byte.
            with Image.open(BytesIO(data), formats=kind.pillow_formats) as image:
                if kind is JPEG:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _error("too_many_pixels", name, max=MAX_PIXELS // 1_000_000) from None
    except ValidationError:
        raise
    except Exception:  # Pillow raises many types (OSError, SyntaxError, ValueError, struct.error…)
        raise _error("broken_image", name) from None


def _check_pdf(data: bytes, name: str) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-4096:]:
        raise _error("pdf", name)
    # Names may hide letters as #xx escapes (/J#61vaScript): undo them before looking.
    plain = PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)
    if PDF_ACTIVE.search(plain):
        raise _error("pdf_active", name)
    try:
        with pikepdf.open(BytesIO(data)) as pdf:
            active = _pdf_active(pdf)
    except pikepdf.PasswordError:
        raise _error("pdf_encrypted", name) from None
    except pikepdf.PdfError:
        raise _error("pdf", name) from None
    if active:
        raise _error("pdf_active", name)


def _pdf_active(pdf) -> bool:
    """Whether any object of the document (object streams decompressed by qpdf) has an automatic
    action or a dangerous one (PDF_ACTIVE_KEYS, PDF_ACTIVE_ACTIONS)."""
    for top in pdf.objects:
        stack = [top]
        while stack:
            obj = stack.pop()
            if isinstance(obj, pikepdf.Array):
                stack.extend(item for item in obj if _direct(item))
            elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                keys = set(obj.keys())
                if keys & PDF_ACTIVE_KEYS or str(obj.get("/S", "")) in PDF_ACTIVE_ACTIONS:
                    return True
                # An /OpenAction that is a destination (a page and a zoom) only says where to open.
                if "/OpenAction" in keys and not isinstance(obj.get("/OpenAction"), pikepdf.Array):
                    return True
                stack.extend(value for value in obj.values() if _direct(value))
    return False


def _direct(value) -> bool:
    # Numbers and booleans come back as Python values; indirect objects are in pdf.objects.
    return isinstance(value, pikepdf.Object) and not value.is_indirect


def display_name(name: str) -> str:
    """The last path component, without control or bidi-override characters, at most 120 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    return name.strip().lstrip(".")[:120] or "file"


def normalised_name(name: str, extension: str) -> str:
    """`name` with an extension that matches the detected type: "photo.jpg.exe" → "photo.jpg",
    "IMG_1.PNG" holding a JPEG → "IMG_1.jpg"; a right one ("scan.JPEG") is kept."""
    name = display_name(name)
    path = PurePosixPath(name)
    if path.suffix.lower().lstrip(".") in EXTENSION_ALIASES.get(extension, {extension}):
        return name
    stem = (path.stem if path.suffix else name)[:100] or "file"
    if PurePosixPath(stem).suffix.lower().lstrip(".") in EXTENSION_ALIASES.get(extension, {extension}):
        return stem
    return f"{stem}.{extension}"


# --- Location in photos --------------------------------------------------------------------------
# Photos from phones carry where they were taken (EXIF GPS; XMP and IPTC may repeat it). The stored
# copy loses that before anyone else can download it; the pixels and the rest of the EXIF (the
# orientation, the time taken) stay byte for byte, and the original file's hash is kept on the
# Evidence row (services.evidence_attach), so the stored photo can still be matched with it.

EXIF_PREFIX = b"Exif\x00\x00"
XMP_JPEG_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def stored_file(upload):
    """What is stored of an accepted upload: a photo without its location (strip_location), as
    evidence is; the upload itself when there was nothing to take out."""
    upload.seek(0)
    original = upload.read()
    upload.seek(0)
    stored = strip_location(original, upload.content_type)
    return upload if stored is original else ContentFile(stored, name=upload.name)


def strip_location(data: bytes, mime: str) -> bytes:
    """The photo without location metadata; the same bytes if it had none (or is not a photo)."""
    strip = {
        "image/jpeg": _jpeg_without_location,
        "image/png": _png_without_location,
        "image/webp": _webp_without_location,
    }
    return strip[mime](data) if mime in strip else data


def _exif_without_location(payload: bytes) -> bytes | None:
    """EXIF (a TIFF block, with or without the "Exif\\0\\0" prefix) without its GPS directory and the
    maker's opaque notes; None when there was no GPS directory."""
    prefix = EXIF_PREFIX if payload.startswith(EXIF_PREFIX) else b""
    exif = Image.Exif()
    exif.load(payload)
    if ExifTags.IFD.GPSInfo not in exif:
        return None
    del exif[ExifTags.IFD.GPSInfo]
    inner = exif.get_ifd(ExifTags.IFD.Exif)
    inner.pop(ExifTags.Base.MakerNote, None)
    return prefix + exif.tobytes()[len(EXIF_PREFIX) :]


def _jpeg_without_location(data: bytes) -> bytes:
    out, i, changed = [data[:2]], 2, False
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the compressed pixels follow, untouched
            break
        end = i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        segment, payload = data[i:end], data[i + 4 : end]
        if marker == 0xE1 and payload.startswith(EXIF_PREFIX):
            exif = _exif_without_location(payload)
            if exif is not None:
                segment, changed = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif, True
        elif (marker == 0xE1 and payload.startswith(XMP_JPEG_PREFIXES)) or marker == 0xED:  # XMP, IPTC
            segment, changed = b"", True
        out.append(segment)
        i = end
    return b"".join(out) + data[i:] if changed else data


def _png_without_location(data: bytes) -> bytes:
    out, i, changed = [PNG_SIGNATURE], len(PNG_SIGNATURE), False
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind, body, end = data[i + 4 : i + 8], data[i + 8 : i + 8 + length], i + 12 + length
        chunk = data[i:end]
        if kind == b"eXIf":
            exif = _exif_without_location(body)
            if exif is not None:
                chunk, changed = _png_chunk(kind, exif), True
        elif kind in (b"iTXt", b"tEXt", b"zTXt") and body.startswith(b"XML:com.adobe.xmp\x00"):
            chunk, changed = b"", True
        out.append(chunk)
        i = end
    return b"".join(out) if changed else data


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _webp_without_location(data: bytes) -> bytes:
    out, i, changed, dropped_xmp = [], 12, False, False
    while i + 8 <= len(data):
        kind, size = data[i : i + 4], int.from_bytes(data[i + 4 : i + 8], "little")
        end = i + 8 + size + (size & 1)
        chunk = data[i:end]
        if kind == b"EXIF":
            exif = _exif_without_location(data[i + 8 : i + 8 + size])
            if exif is not None:
                chunk, changed = kind + len(exif).to_bytes(4, "little") + exif + b"\x00" * (len(exif) & 1), True
        elif kind == b"XMP ":
            chunk, changed, dropped_xmp = b"", True, True
        out.append(chunk)
        i = end
    if not changed:
        return data
    if dropped_xmp and out and out[0][:4] == b"VP8X":  # the header's flags must not announce XMP
        out[0] = out[0][:8] + bytes([out[0][8] & ~0x04]) + out[0][9:]
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + len(body).to_bytes(4, "little") + body
