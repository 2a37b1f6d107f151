"""Uploads (issue 12, item 7): PDFs are read object by object, compressed object streams included,
and refused for any automatic action; photos lose their location before they are stored, while
the original file's hash stays on record."""

import hashlib
import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pikepdf import Array, Dictionary, Name, String
from PIL import ExifTags, Image

from disputes import services
from disputes.models import Evidence
from disputes.uploads import check_upload
from tests.disputes.test_resident_views import filing
from tests.factories import make_case, make_estate

# --- PDFs ---------------------------------------------------------------------------------------


def pdf_with(catalog=None, *, page=None, compressed: bool = True) -> bytes:
    """A real one-page PDF (written by qpdf); with `compressed`, every object that may be sits in a
    compressed object stream, so that no name in it shows in the file's bytes. `catalog` and
    `page` are functions that return the entries to add."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for key, value in (catalog() if catalog else {}).items():
        pdf.Root[key] = pdf.make_indirect(value)
    for key, value in (page() if page else {}).items():
        pdf.pages[0].obj[key] = value
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if compressed else pikepdf.ObjectStreamMode.disable
    pdf.save(out, object_stream_mode=mode, compress_streams=True)
    return out.getvalue()


def js(code: str = "app.alert(1)") -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String(code))


def refusal_code(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("contract.pdf", data, content_type="application/pdf"))
    return caught.value.code


# (id, catalog entries, page entries), built anew for each PDF (pikepdf objects belong to one).
ACTIVE_PDFS = [
    ("OpenAction JavaScript", lambda: {"/OpenAction": js()}, None),
    ("OpenAction URI", lambda: {"/OpenAction": Dictionary(S=Name.URI, URI=String("https://evil.example/"))}, None),
    (
        "OpenAction SubmitForm",
        lambda: {"/OpenAction": Dictionary(S=Name.SubmitForm, F=String("https://e.example/"))},
        None,
    ),
    ("OpenAction Launch", lambda: {"/OpenAction": Dictionary(S=Name.Launch, F=String("cmd.exe"))}, None),
    ("document additional actions", lambda: {"/AA": Dictionary(WC=js())}, None),
    (
        "page additional action URI",
        None,
        lambda: {"/AA": Dictionary(O=Dictionary(S=Name.URI, URI=String("https://x.cn")))},
    ),
    (
        "JavaScript name tree",
        lambda: {"/Names": Dictionary(JavaScript=Dictionary(Names=Array([String("a"), js()])))},
        None,
    ),
]


class PdfActionTests:
    @pytest.mark.parametrize(("catalog", "page"), [a[1:] for a in ACTIVE_PDFS], ids=[a[0] for a in ACTIVE_PDFS])
    def test_it_refuses_actions_hidden_in_compressed_object_streams(self, catalog, page):
        data = pdf_with(catalog, page=page)
        assert b"/ObjStm" in data  # the objects are in a compressed stream...
        assert b"/OpenAction" not in data and b"/AA" not in data  # ...so the bytes show none of them

        assert refusal_code(data) == "pdf_active"

    @pytest.mark.parametrize(("catalog", "page"), [a[1:] for a in ACTIVE_PDFS], ids=[a[0] for a in ACTIVE_PDFS])
    def test_it_refuses_the_same_actions_uncompressed(self, catalog, page):
        assert refusal_code(pdf_with(catalog, page=page, compressed=False)) == "pdf_active"

    def test_it_accepts_a_plain_pdf_with_object_streams(self):
        upload = SimpleUploadedFile("scan.pdf", pdf_with(), content_type="application/pdf")
        check_upload(upload)
        assert upload.content_type == "application/pdf"

    def test_it_accepts_an_open_action_that_is_only_the_first_page(self):
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)

        check_upload(SimpleUploadedFile("letter.pdf", out.getvalue(), content_type="application/pdf"))

    def test_it_accepts_a_link_the_reader_clicks(self):
        link = lambda: Dictionary(  # noqa: E731
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([0, 0, 100, 20]),
            A=Dictionary(S=Name.URI, URI=String("https://www.gov.cn/")),
        )
        data = pdf_with(page=lambda: {"/Annots": Array([link()])})
        check_upload(SimpleUploadedFile("letter.pdf", data, content_type="application/pdf"))

    def test_it_refuses_an_encrypted_pdf_it_cannot_read(self):
        pdf = pikepdf.new()
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))

        assert refusal_code(out.getvalue()) == "pdf_encrypted"


# --- Photos -------------------------------------------------------------------------------------

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 14.0, 2.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 9.0),
}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="31,14.04N"/></rdf:RDF></x:xmpmeta>'
)


def photo_with_location(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6  # the phone was held upright: the viewer must still know
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, xmp=XMP, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def location_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


@pytest.mark.django_db
class PhotoLocationTests:
    @pytest.fixture(autouse=True)
    def media_root(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path

    @pytest.fixture
    def case(self, alice, bob, areas):
        return make_case(applicant=alice, respondent=bob, area=areas["G1"])

    def attach(self, case, alice, data: bytes, name: str = "IMG_0001.jpg") -> Evidence:
        upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
        check_upload(upload)
        return services.evidence_attach(case=case, upload=upload, uploaded_by=alice)

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_it_stores_the_photo_without_its_location(self, case, alice, fmt):
        original = photo_with_location(fmt)
        assert location_of(original)  # the test photo does carry a location

        evidence = self.attach(case, alice, original, name=f"IMG_0001.{fmt.lower()}")

        stored = evidence.file.read()
        assert location_of(stored) == {}
        assert b"GPSLatitude" not in stored  # nor in the XMP packet
        assert evidence.location_removed is True
        with Image.open(io.BytesIO(stored)) as image, Image.open(io.BytesIO(original)) as before:
            assert image.getexif()[ExifTags.Base.Orientation] == 6
            assert image.tobytes() == before.tobytes()  # the same pixels: nothing was re-encoded

    def test_it_records_the_hash_of_the_original_and_of_the_stored_file(self, case, alice):
        original = photo_with_location()

        evidence = self.attach(case, alice, original)

        stored = evidence.file.read()
        assert evidence.original_sha256 == hashlib.sha256(original).hexdigest()
        assert evidence.stored_sha256 == hashlib.sha256(stored).hexdigest()
        assert evidence.original_sha256 != evidence.stored_sha256
        assert evidence.size == len(stored)

    def test_a_photo_without_location_is_stored_as_it_came(self, case, alice):
        plain = io.BytesIO()
        Image.new("RGB", (64, 48)).save(plain, "JPEG")

        evidence = self.attach(case, alice, plain.getvalue())

        assert evidence.file.read() == plain.getvalue()
        assert evidence.location_removed is False
        assert evidence.original_sha256 == evidence.stored_sha256 == hashlib.sha256(plain.getvalue()).hexdigest()

    def test_the_other_party_downloads_the_photo_without_its_location(self, client, case, alice, bob):
        evidence = self.attach(case, alice, photo_with_location())
        client.force_login(bob)

        response = client.get(reverse("disputes:evidence_download", args=[evidence.pk]))

        assert response.status_code == 200
        assert location_of(b"".join(response.streaming_content)) == {}

    def test_filing_through_the_form_strips_the_location(self, client, alice, areas):
        client.force_login(alice)
        estate = make_estate(areas["C1"], grid=areas["G1"])
        data = {**filing(areas, estate), "evidence": SimpleUploadedFile("IMG_0002.jpg", photo_with_location())}
        response = client.post(reverse("disputes:case_new"), data)

        assert response.status_code == 302
        evidence = Evidence.objects.get()
        assert location_of(evidence.file.read()) == {}
        assert evidence.original_sha256 == hashlib.sha256(photo_with_location()).hexdigest()
