"""The one place where a user-supplied `next` becomes a redirect target."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str, *, prefix: str = "/") -> str:
    """`next` from POST or GET if Django's safe-URL check accepts it for this host (and it starts
    with `prefix`), else `default` (a URL or URL name). `//evil.example/` and
    `https://evil.example/` fall back: a link must not send a new user off-site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate.startswith(prefix)
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and "//" not in candidate.split("?", 1)[0]
    ):
        return candidate
    return resolve_url(default)
