"""Evidence files: stored outside the static root and served only through this view."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from accounts import ratelimit
from disputes.models import Evidence
from disputes.uploads import ACCEPTED_CONTENT_TYPES
from disputes.visibility import visible_rows


def _get_evidence_for_user(user, pk: int) -> Evidence:
    """The evidence file if `user` may see its case (disputes.visibility: a party with their
    resident account, the assigned mediator, staff whose areas cover the case's area); 404 for
    anyone else, so that the existence of other people's files is not revealed."""
    evidence = visible_rows(user, Evidence.objects.select_related("case")).filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file.")
    return evidence


@require_safe
@login_required
@ratelimit.rate_limit(ratelimit.EVIDENCE_PER_USER)
def evidence_download(request, pk: int) -> FileResponse:
    evidence = _get_evidence_for_user(request.user, pk)
    content_type = evidence.content_type
    if content_type not in ACCEPTED_CONTENT_TYPES:
        # A row written before the upload checks existed: never let the browser render it.
        content_type = "application/octet-stream"
    inline = content_type.startswith("image/")
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=evidence.original_name or "evidence"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a file were rendered as a document, it could run nothing and load nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Personal data: not kept by shared caches, nor on the disk of a shared family phone.
    response["Cache-Control"] = "private, no-store"
    return response
