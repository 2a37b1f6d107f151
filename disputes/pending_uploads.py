"""Files accepted on a filing attempt that failed for another reason, kept for the next attempt.

The files wait under MEDIA_ROOT/pending/<idempotency key>/ (outside the static root, like
evidence); which of them belong to whom is in the session, so nobody can attach another
person's pending files by guessing a key.
"""

import uuid

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

SESSION_KEY = "pending_uploads"


def pending_list(request, key: uuid.UUID | None) -> list[dict]:
    if key is None:
        return []
    return list(request.session.get(SESSION_KEY, {}).get(str(key), []))


def pending_add(request, key: uuid.UUID, uploads: list) -> list[dict]:
    """Store accepted uploads for this form and return all its pending entries."""
    entries = pending_list(request, key)
    for upload in uploads:
        path = default_storage.save(f"pending/{key}/{uuid.uuid4().hex}", upload)
        entries.append({"path": path, "name": upload.name, "content_type": upload.content_type, "size": upload.size})
    store = request.session.get(SESSION_KEY, {})
    store[str(key)] = entries
    request.session[SESSION_KEY] = store
    return entries


def pending_open(entries: list[dict]) -> list[UploadedFile]:
    """The pending files as uploads that services.evidence_attach can store (close them after)."""
    return [
        UploadedFile(
            file=default_storage.open(e["path"], "rb"), name=e["name"], content_type=e["content_type"], size=e["size"]
        )
        for e in entries
        if default_storage.exists(e["path"])
    ]


def pending_clear(request, key: uuid.UUID) -> None:
    store = request.session.get(SESSION_KEY, {})
    for entry in store.pop(str(key), []):
        default_storage.delete(entry["path"])
    request.session[SESSION_KEY] = store
