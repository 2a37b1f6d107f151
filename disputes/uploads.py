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
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

import filetype
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image

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
# chance. Objects inside compressed object streams are not seen: this is a first filter, the
# download is still served as an attachment.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z])")
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
