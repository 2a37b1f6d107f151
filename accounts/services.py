import secrets

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Area, User
from accounts.roles import ROLE_GROUPS


@transaction.atomic
def area_create(*, name: str, kind: str, parent: Area | None = None, code: str = "") -> Area:
    area = Area.objects.create(name=name, kind=kind, parent=parent, code=code)
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    area.save(update_fields=["path"])
    return area


@transaction.atomic
def area_move(*, area: Area, parent: Area | None) -> Area:
    """Re-parent an area and rewrite the paths of its whole subtree in one UPDATE per node."""
    old_path = area.path
    new_path = f"{parent.path if parent else '/'}{area.pk}/"
    if parent is not None and parent.path.startswith(old_path):
        raise ValueError("An area cannot be moved below itself.")
    area.parent = parent
    area.path = new_path
    area.save(update_fields=["parent", "path"])
    for node in Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk):
        node.path = new_path + node.path[len(old_path) :]
        node.save(update_fields=["path"])
    return area


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    """Set the role and keep the user's role group and staff flag in step with it."""
    user.role = role
    user.is_staff = role in User.STAFF_ROLES
    user.save(update_fields=["role", "is_staff"])
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[role])[0])
    return user


def resident_username_new() -> str:
    """A random user name such as `r3fa9c2d1e0`. Never the phone number: user names show in admin
    lists and logs, where phone numbers must be masked (DESIGN §11). Residents sign in by phone."""
    while True:
        username = f"r{secrets.token_hex(5)}"
        if not User.objects.filter(username=username).exists():
            return username


@transaction.atomic
def resident_register(*, phone: str, password: str, full_name: str = "", email: str = "", language: str = "") -> User:
    user = User(username=resident_username_new(), phone=phone, full_name=full_name, email=email, language=language)
    user.set_password(password)
    user.save()
    return user_set_role(user=user, role=User.Role.RESIDENT)
