from django.db.models import Q, QuerySet

from accounts.models import Area, User


def area_subtree_q(areas, *, prefix: str = "") -> Q:
    """A Q matching every area at or below `areas`, by materialised-path prefix (one indexed scan).

    `prefix` is the lookup path to the Area from the model being filtered, e.g. "area__".
    """
    q = Q(pk__in=[])
    for path in _minimal_paths(a.path for a in areas):
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def _minimal_paths(paths) -> list[str]:
    # "/1/" already covers "/1/5/": drop the nested ones so the OR stays short.
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def area_list_for_user(user: User) -> QuerySet[Area]:
    """The areas a user may see: the subtrees of the areas they serve (all areas for superusers)."""
    if user.is_superuser:
        return Area.objects.all()
    if not user.is_authenticated or user.is_resident:
        return Area.objects.none()
    return Area.objects.filter(area_subtree_q(served_areas(user)))


def served_areas(user: User) -> list[Area]:
    """The areas a staff user serves, read once per request (cached on the user object)."""
    if not hasattr(user, "_served_areas"):
        user._served_areas = list(user.areas.only("path", "name", "kind"))
    return user._served_areas
