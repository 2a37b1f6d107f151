import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Area, PhoneCode, User
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
def resident_register(
    *,
    phone: str,
    password: str = "",
    password_hash: str = "",
    full_name: str = "",
    email: str = "",
    language: str = "",
    terms_version: str = "",
) -> User:
    """A resident account. The registration view calls it only after the phone was verified by
    code (it passes the password already hashed, kept in the session meanwhile) and then marks
    the phone verified with accounts.phone_verification.phone_verify."""
    user = User(username=resident_username_new(), phone=None, full_name=full_name, email=email, language=language)
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    if terms_version:
        user.terms_version = terms_version
        user.terms_accepted_at = timezone.now()
    user.save()
    if phone:
        # Through phone_verify's rule when verified; a plain number otherwise (seeding, tests).
        User.objects.filter(pk=user.pk).update(phone=phone)
        user.phone = phone
    return user_set_role(user=user, role=User.Role.RESIDENT)


def registration_code_send(*, phone: str) -> None:
    """A code to a free number; to a number that has a verified account, a notice to its owner
    instead. Both queue one SMS and answer the same: the page does not tell them apart."""
    from accounts import phone_verification
    from accounts.sms_outbox import sms_queue

    if User.objects.filter(phone=phone, phone_verified_at__isnull=False).exists():
        with transaction.atomic():
            sms_queue(
                key=f"phone_taken:{phone}:{secrets.token_hex(8)}",
                phone=phone,
                template="phone_taken",
                params={"link": settings.SITE_URL + reverse("accounts:login")},
            )
        return
    phone_verification.phone_code_send(phone=phone, purpose=PhoneCode.Purpose.REGISTER)


def phone_change_code_send(*, user: User, phone: str, purpose: str) -> None:
    """A code to the new number, unless another account has verified it: then its owner is told,
    as at registration (the page answers the same)."""
    if User.objects.filter(phone=phone, phone_verified_at__isnull=False).exclude(pk=user.pk).exists():
        registration_code_send(phone=phone)
        return
    from accounts import phone_verification

    phone_verification.phone_code_send(phone=phone, purpose=purpose)


@transaction.atomic
def resident_register_verified(
    *, phone: str, password_hash: str, full_name: str, email: str, language: str, terms_version: str
) -> User:
    """Step 2 of registration: the code was right, so the account is created with its phone
    verified. A number verified by someone else since step 1 is not taken from them: the account
    is created without it (the resident can add a number in their profile)."""
    from accounts import phone_verification

    user = resident_register(
        phone="",
        password_hash=password_hash,
        full_name=full_name,
        email=email,
        language=language,
        terms_version=terms_version,
    )
    if not User.objects.filter(phone=phone, phone_verified_at__isnull=False).exists():
        phone_verification.phone_verify(user=user, phone=phone)
    return user
