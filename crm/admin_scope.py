"""The chapter scope in the staff admin: every list, change page, filter choice, autocomplete,
action and export of an admin that uses `ChapterScopedAdmin` goes through `scope_queryset`.

- lists, change/delete/history pages, actions, exports and the autocomplete of other pages
  all start from `get_queryset`, which is scoped;
- choices of a chapter or a member in a form are the user's own, so a crafted POST cannot
  pick another chapter's;
- filter choices of chapters are the chapters of the scoped rows (RelatedOnlyFieldListFilter);
- another chapter's record by id is a 404 (Django's admin would redirect to the index).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.http import Http404

from crm.models import Chapter
from crm.people import personal_data_access_record
from crm.scope import ALL, is_scoped, scope_queryset, user_chapter_ids
from crm.sidebar import sidebar_choices

CHAPTER_FILTERS = {"chapter", "member__chapter"}


class ScopedChapterFilter(admin.RelatedFieldListFilter):
    """The chapters of the user's scope: a small table, where "chapters in use" would be
    a DISTINCT over every member (53 ms at a million) at every page."""

    def field_choices(self, field, request, model_admin):
        def compute():
            chapters = scope_queryset(Chapter.objects.order_by("name"), request.user)
            return [(chapter.pk, str(chapter)) for chapter in chapters]

        return sidebar_choices(request, Chapter, "chapters", compute)


class ChapterScopedAdmin:
    """Mix into a ModelAdmin (before it) to apply the chapter scope to all of it.

    The change page of a model with `PERSONAL_RECORD = True` (a person's page) records
    every view (crm/people.py).
    """

    def is_personal(self, object_id) -> bool:
        """Whether this record is a person's: its model says so, or it is one of a kind that
        does (an ambassador opened from the list of all members)."""
        if getattr(self.model, "PERSONAL_RECORD", False):
            return True
        kinds = [
            m
            for m in apps.get_models()
            if issubclass(m, self.model) and getattr(m, "PERSONAL_RECORD", False)
        ]
        return any(kind._default_manager.filter(pk=object_id).exists() for kind in kinds)

    def has_process_personal_data_permission(self, request) -> bool:
        """The data protection officer's actions (export of people). A person's export
        gathers every row that names them, in every chapter: only for users of all
        chapters (a chapter's own DPO asks one of them, or runs `person export`)."""
        return request.user.has_perm("crm.process_personal_data") and (
            user_chapter_ids(request.user) is ALL
        )

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def get_list_filter(self, request):
        return [
            (f, ScopedChapterFilter) if f in CHAPTER_FILTERS else f
            for f in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if is_scoped(related) and "queryset" not in kwargs:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
            if related is Chapter and user_chapter_ids(request.user) is not ALL:
                # Left empty the chapter would be taken from the country, maybe not theirs.
                kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if is_scoped(related) and "queryset" not in kwargs:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another chapter's record does not exist for this user: 404, never a hint.
        raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and self.is_personal(object_id):
            opts = self.model._meta
            personal_data_access_record(
                user=request.user, action="view", what=f"{opts.label} {object_id}"
            )
        return response

    def history_view(self, request, object_id, extra_context=None):
        # simple_history would fall back to the history rows of a record outside the scope.
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _in_scope_or_404(self, request, object_id) -> None:
        if self.get_object(request, object_id) is None:
            raise Http404
