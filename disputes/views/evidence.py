"""Evidence files: stored outside the static root and served only through this view."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from accounts import ratelimit
from accounts.selectors import area_scope_q
from disputes.models import Case, Evidence, Party
from disputes.uploads import ACCEPTED_CONTENT_TYPES


def _get_evidence_for_user(user, pk: int) -> Evidence:
    """The evidence file if `user` is a party to its case (with their resident account), its
    assigned mediator, or staff whose areas cover the case's area; 404 for anyone else, so
    that the existence of other people's files is not revealed."""
    evidence = Evidence.objects.select_related("case").filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file.")
    case = evidence.case
    allowed = (
        Party.objects.filter(case=case, user=user).exists()
        or case.mediator_id == user.pk
        or (not user.is_resident and Case.objects.filter(Q(pk=case.pk) & area_scope_q(user)).exists())
    )
    if not allowed:
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
