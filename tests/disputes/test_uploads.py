"""Hostile uploads: every file is judged by its bytes, never by its name or claimed type."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from PIL import Image

from disputes import services
from disputes.uploads import MAX_BYTES, MAX_FILES, MAX_PIXELS, check_upload, check_uploads
from tests.factories import make_case

# --- Builders -----------------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size=(64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buffer, fmt, **save)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + png_chunk(b"IEND", b"")
    )


def pdf_bytes(body: bytes = b"", pad_to: int | None = None) -> bytes:
    head = (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n" + body
    )
    tail = b"trailer << /Root 1 0 R >>\n%%EOF\n"
    if pad_to is not None:
        head += b"%" + b"x" * (pad_to - len(head) - len(tail) - 2) + b"\n"
    return head + tail


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(name: str, data: bytes, content_type: str = "image/jpeg") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, data, content_type))
    return caught.value


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.class", b"\xca\xfe\xba\xbe" + bytes(range(256)))
    return buffer.getvalue()


JPEG = image_bytes("JPEG", size=(640, 480))
PNG = image_bytes("PNG")
WEBP = image_bytes("WEBP")
SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"

# (id, file name, bytes, expected error code)
HOSTILE = [
    ("plain text renamed .jpg", "notes.jpg", b"just some text, not a picture\n" * 20, "type"),
    ("HTML renamed .png", "page.png", SCRIPT, "type"),
    ("HTML with leading blanks renamed .jpg", "page.jpg", b"\n\n  " + SCRIPT, "type"),
    ("PNG followed by HTML", "photo.png", PNG + SCRIPT, "markup"),
    (
        "PNG with a script in a text chunk",
        "photo.png",
        PNG[:33] + png_chunk(b"tEXt", b"c\x00" + SCRIPT) + PNG[33:],
        "markup",
    ),
    ("JPEG followed by HTML (polyglot)", "photo.jpg", JPEG + SCRIPT, "markup"),
    ("JPEG carrying a PDF header (polyglot)", "photo.jpg", JPEG[:20] + b"%PDF-1.4" + JPEG[20:], "markup"),
    ("JPEG with javascript: URL", "photo.jpg", JPEG + b"javascript:alert(1)", "markup"),
    ("PNG with a ZIP after IEND", "photo.png", PNG + zip_bytes(), "broken_image"),
    ("WebP with trailing bytes", "photo.webp", WEBP + b"\x00" * 64, "broken_image"),
    (
        "SVG with a script",
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "type",
    ),
    ("SVG renamed .png", "drawing.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "type"),
    ("GIF", "anim.gif", image_bytes("GIF"), "type"),
    ("BMP", "scan.bmp", image_bytes("BMP"), "type"),
    ("TIFF", "scan.tif", image_bytes("TIFF"), "type"),
    (
        "Windows EXE renamed .pdf",
        "contract.pdf",
        b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run",
        "type",
    ),
    ("ELF binary renamed .pdf", "contract.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "type"),
    ("ZIP renamed .pdf", "contract.pdf", zip_bytes(), "type"),
    ("shell script renamed .pdf", "contract.pdf", b"#!/bin/sh\nrm -rf /\n", "type"),
    ("PDF without the %PDF- header", "contract.pdf", pdf_bytes()[1:], "type"),
    ("PDF header but no end (truncated)", "contract.pdf", pdf_bytes()[:120], "pdf"),
    ("%PDF without the dash", "contract.pdf", b"%PDF1.4\n" + pdf_bytes()[9:], "pdf"),
    (
        "PDF with JavaScript",
        "contract.pdf",
        pdf_bytes(b"4 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"),
        "pdf_active",
    ),
    (
        "PDF with escaped JavaScript name",
        "contract.pdf",
        pdf_bytes(b"4 0 obj << /S /J#61vaScript /JS (x) >> endobj\n"),
        "pdf_active",
    ),
    (
        "PDF that launches a program",
        "contract.pdf",
        pdf_bytes(b"4 0 obj << /S /Launch /F (cmd.exe) >> endobj\n"),
        "pdf_active",
    ),
    (
        "PDF with an embedded file",
        "contract.pdf",
        pdf_bytes(b"4 0 obj << /EmbeddedFiles 5 0 R >> endobj\n"),
        "pdf_active",
    ),
    ("empty file", "photo.jpg", b"", "empty"),
    ("truncated JPEG", "photo.jpg", JPEG[: len(JPEG) // 2], "broken_image"),
    ("JPEG missing its end marker", "photo.jpg", JPEG[:-2], "broken_image"),
    ("truncated PNG", "photo.png", PNG[:-20], "broken_image"),
    ("PNG with a bad checksum", "photo.png", PNG[:40] + bytes([PNG[40] ^ 0xFF]) + PNG[41:], "broken_image"),
    ("JPEG header then garbage", "photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x13" * 500, "broken_image"),
    ("decompression bomb PNG 20000x20000", "bomb.png", png_claiming(20_000, 20_000), "too_many_pixels"),
    ("decompression bomb PNG 10000x10000", "bomb.png", png_claiming(10_000, 10_000), "too_many_pixels"),
    ("PNG over the 40 MP cap", "big.png", png_claiming(8_000, 6_000), "too_many_pixels"),
    ("HEIC photo", "IMG_0001.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100, "heic"),
]


class UploadTests:
    @pytest.mark.parametrize(("name", "data", "code"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
    def test_it_refuses_hostile_files(self, name, data, code):
        error = refusal(name, data)

        assert error.code == code

    def test_it_names_the_file_in_a_translated_message(self):
        error = refusal("notes.jpg", b"plain text")

        assert error.messages == [
            gettext("“%(name)s” is not a photo (JPEG, PNG or WebP) or a PDF document.") % {"name": "notes.jpg"}
        ]

    def test_it_refuses_one_byte_over_ten_megabytes_without_reading_it(self):
        error = refusal("huge.pdf", pdf_bytes(pad_to=MAX_BYTES + 1), "application/pdf")

        assert error.code == "too_big"
        assert error.messages == [
            gettext("“%(name)s” is %(size)s; a file can be at most %(max)s.")
            % {"name": "huge.pdf", "size": filesizeformat(MAX_BYTES + 1), "max": filesizeformat(MAX_BYTES)}
        ]

    def test_it_refuses_a_file_whose_declared_size_lies(self):
        lying = upload("huge.pdf", pdf_bytes(pad_to=MAX_BYTES + 1))
        lying.size = 1000

        with pytest.raises(ValidationError) as caught:
            check_upload(lying)
        assert caught.value.code == "too_big"

    def test_it_accepts_exactly_ten_megabytes(self):
        exact = upload("scan.pdf", pdf_bytes(pad_to=MAX_BYTES), "application/pdf")
        assert exact.size == MAX_BYTES

        check_upload(exact)

        assert exact.content_type == "application/pdf"

    @pytest.mark.parametrize(
        ("data", "mime", "name"),
        [
            (JPEG, "image/jpeg", "photo.jpg"),
            (image_bytes("JPEG", size=(4000, 3000), quality=60), "image/jpeg", "photo.jpg"),
            (PNG, "image/png", "photo.png"),
            (image_bytes("PNG", size=(7000, 5000)), "image/png", "photo.png"),  # 35 MP: under the cap
            (WEBP, "image/webp", "photo.webp"),
            (pdf_bytes(), "application/pdf", "photo.pdf"),
        ],
        ids=["jpeg", "12MP jpeg", "png", "35MP png", "webp", "pdf"],
    )
    def test_it_accepts_real_photos_and_pdfs_and_sets_the_detected_type(self, data, mime, name):
        accepted = upload("photo.dat", data, content_type="text/html")

        check_upload(accepted)

        assert accepted.content_type == mime
        assert accepted.name == name
        assert accepted.read() == data  # left at the start for storage

    def test_the_pixel_cap_is_forty_megapixels(self):
        assert MAX_PIXELS == 40_000_000
        assert refusal("big.png", png_claiming(8_000, 5_001)).code == "too_many_pixels"

    def test_it_trusts_bytes_not_the_claimed_type(self):
        png = upload("photo.html", PNG, content_type="text/html")
        check_upload(png)
        assert (png.content_type, png.name) == ("image/png", "photo.png")

        assert refusal("photo.jpg", b"GIF89a" + SCRIPT, content_type="image/jpeg").code == "type"

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("photo.jpg.exe", "photo.jpg"),
            ("../../../etc/passwd.jpg", "passwd.jpg"),
            ("..\\..\\windows\\win.ini", "win.jpg"),
            ("现场照片 2026.jpeg", "现场照片 2026.jpeg"),
            ("photo\u202egpj.exe", "photogpj.jpg"),  # a right-to-left override would show "exe.jpg"
            ("IMG_0001.PNG", "IMG_0001.jpg"),  # the content is a JPEG
            (".htaccess", "htaccess.jpg"),
            ("noextension", "noextension.jpg"),
        ],
    )
    def test_it_normalises_the_name_to_the_detected_type(self, given, stored):
        accepted = upload(given, JPEG)

        check_upload(accepted)

        assert accepted.name == stored

    def test_it_reports_every_bad_file_and_too_many_files(self):
        files = [upload(f"p{i}.jpg", JPEG) for i in range(MAX_FILES)] + [upload("bad.jpg", b"text")]

        with pytest.raises(ValidationError) as caught:
            check_uploads(files)

        assert [e.code for e in caught.value.error_list] == ["too_many_files", "type"]
        assert gettext("You can attach at most %(max)s files.") % {"max": MAX_FILES} in caught.value.messages

    def test_it_accepts_five_good_files(self):
        files = [upload(f"p{i}.jpg", JPEG) for i in range(MAX_FILES)]

        check_uploads(files)

        assert {f.content_type for f in files} == {"image/jpeg"}


@pytest.mark.django_db
class StoredEvidenceTests:
    def test_a_traversal_name_is_stored_under_a_random_name_in_the_evidence_folder(
        self, alice, areas, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        case = make_case(applicant=alice, area=areas["G1"])
        hostile = upload("../../../../tmp/owned.jpg", JPEG, content_type="text/html")
        check_upload(hostile)

        evidence = services.evidence_attach(case=case, upload=hostile, uploaded_by=alice)

        stored = tmp_path / evidence.file.name
        assert evidence.file.name.startswith("evidence/")
        assert "owned" not in evidence.file.name and ".." not in evidence.file.name
        assert evidence.file.name.endswith(".jpg")
        assert stored.resolve().is_relative_to(tmp_path.resolve())
        assert stored.read_bytes() == JPEG
        assert (evidence.original_name, evidence.content_type, evidence.size) == ("owned.jpg", "image/jpeg", len(JPEG))
        assert not (tmp_path.parent / "owned.jpg").exists()
