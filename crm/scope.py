"""Chapter scope: the one rule that says which records a staff user may see at all.

Every admin list, change page, filter choice, autocomplete, action, import, export, the
staff API and the join-request review filter through `scope_queryset`. A model takes part
by naming how its rows reach a chapter:

- `CHAPTER_LOOKUP = "member__chapter"`: a path to a `crm.Chapter` (a row without a chapter
  is seen only by users of all chapters);
- `CHAPTER_COUNTRY_LOOKUP = "country"`: a country, the chapter being the one of that country
  (join requests, which have no member yet).

A model with neither (sectors, the official list) is the same for every chapter.
Records outside the scope do not exist for the user: a 404, never a 403.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from crm.models import Chapter, ChapterScope

#: The role groups (created by crm/migrations/0009_roles.py); other code looks them up by name.
NETWORK_ADMIN = "Network admin"
CHAPTER_MANAGER = "Chapter manager"
CHAPTER_VIEWER = "Chapter viewer"
DATA_PROTECTION_OFFICER = "Data protection officer"

ALL = None  # what `user_chapter_ids` answers for a user of every chapter


def user_chapter_ids(user) -> frozenset[int] | None:
    """The ids of the chapters `user` works for; `ALL` (None) for every chapter.

    Superusers and network admins work for every chapter; anyone else for the chapters of
    their ChapterScope (none without one). Cached on the user object for the request.
    """
    cached = getattr(user, "_chapter_ids", False)
    if cached is not False:
        return cached
    ids: frozenset[int] | None
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        ids = frozenset()
    elif user.is_superuser:
        ids = ALL
    else:
        scope = ChapterScope.objects.filter(user=user).first()
        if (scope is not None and scope.all_chapters) or user.groups.filter(
            name=NETWORK_ADMIN
        ).exists():
            ids = ALL
        elif scope is None:
            ids = frozenset()
        else:
            ids = frozenset(scope.chapters.values_list("pk", flat=True))
    if user is not None:
        user._chapter_ids = ids
    return ids


def chapter_scope_key(user) -> str:
    """`user`'s chapters as a cache key's part: "all", the sorted ids, or "none"."""
    ids = user_chapter_ids(user)
    return "all" if ids is ALL else ",".join(str(pk) for pk in sorted(ids)) or "none"


def is_scoped(model: type[models.Model]) -> bool:
    return model is Chapter or any(
        hasattr(model, name) for name in ("CHAPTER_LOOKUP", "CHAPTER_COUNTRY_LOOKUP")
    )


def scope_q(model: type[models.Model], chapter_ids: frozenset[int]) -> Q:
    """The condition on `model`'s rows for these chapters."""
    if model is Chapter or issubclass(model, Chapter):
        return Q(pk__in=chapter_ids)
    lookup = getattr(model, "CHAPTER_LOOKUP", None)
    if lookup is not None:
        return Q(**{f"{lookup}__in": chapter_ids})
    country = model.CHAPTER_COUNTRY_LOOKUP
    countries = Chapter.objects.filter(pk__in=chapter_ids).values("country")
    return Q(**{f"{country}__in": countries})


def scope_queryset(queryset: models.QuerySet, user) -> models.QuerySet:
    """`queryset` limited to the chapters of `user`; unchanged for models without a chapter."""
    if not is_scoped(queryset.model):
        return queryset
    ids = user_chapter_ids(user)
    if ids is ALL:
        return queryset
    if not ids:
        return queryset.none()
    return queryset.filter(scope_q(queryset.model, ids))


def scope_allows(user, obj: models.Model) -> bool:
    """Whether `obj` (saved or not) lies in `user`'s chapters: what a write must satisfy."""
    model = type(obj)
    if not is_scoped(model):
        return True
    ids = user_chapter_ids(user)
    if ids is ALL:
        return True
    if model is Chapter:
        return obj.pk in ids
    lookup = getattr(model, "CHAPTER_LOOKUP", None)
    if lookup is not None:
        *path, last = lookup.split("__")
        holder = obj
        for part in path:
            holder = getattr(holder, part, None)
            if holder is None:
                return False
        chapter_id = getattr(holder, f"{last}_id", None)
        if chapter_id is None and getattr(holder, "country", None):
            # Not saved yet: the save takes the chapter of the country (Member.save).
            chapter_id = Chapter.objects.filter(country=holder.country).values("pk").first()
            chapter_id = chapter_id and chapter_id["pk"]
        return chapter_id in ids
    country = str(getattr(obj, model.CHAPTER_COUNTRY_LOOKUP))
    return Chapter.objects.filter(pk__in=ids, country=country).exists()


def chapter_staff(chapter_id: int | None) -> list:
    """Who hears about a chapter's agreements: active staff with an e-mail whose scope names
    the chapter and who may view agreements. For a member without a chapter, or a chapter
    nobody works for, the users of every chapter (the international team). One query."""
    can_view = (
        Q(is_superuser=True)
        | Q(groups__permissions__codename="view_agreement")
        | Q(user_permissions__codename="view_agreement")
    )
    staff = (
        get_user_model()
        .objects.filter(can_view, is_active=True, is_staff=True)
        .exclude(email="")
        .select_related("chapter_scope")
        .order_by("pk")
        .distinct()
    )
    users = list(staff.filter(chapter_scope__chapters=chapter_id)) if chapter_id else []
    return users or list(
        staff.filter(Q(chapter_scope__all_chapters=True) | Q(groups__name=NETWORK_ADMIN))
    )


def user_mail_language(user) -> str:
    """The language of the e-mails `user` gets: their scope's, else the site's."""
    try:
        language = user.chapter_scope.language
    except ObjectDoesNotExist:
        language = ""
    return language or settings.LANGUAGE_CODE
