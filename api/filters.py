"""Filter backends of the staff API that refuse what they cannot honour (400, not ignored)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter


class StrictOrderingFilter(OrderingFilter):
    """`ordering=name,-city`; an unknown field is a 400 naming it rather than silently ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            context = {"request": request}
            valid = {name for name, _label in self.get_valid_fields(queryset, view, context)}
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Cannot order by %(fields)s. Choose from: %(valid)s.")
                            % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid))}
                        ]
                    }
                )
            return fields
        return self.get_default_ordering(view)


class StrictSearchFilter(SearchFilter):
    """DRF's search, refusing a NUL character (PostgreSQL cannot compare text with one)."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if "\x00" in value:
            raise ValidationError({self.search_param: [_("Null characters are not allowed.")]})
        return super().get_search_terms(request)
