"""Model validation in serializers: the model's own rules answer 400, never a 500."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.settings import api_settings


class ModelCleanSerializer(serializers.ModelSerializer):
    """Runs the model's `full_clean` (fields, `clean()`, uniqueness, every constraint).

    A constraint that concerns one editable field is reported under that field
    (e.g. a duplicate school code under `school_code`); others as non-field errors.
    Values the model normalises while validating (a VAT number with its country
    prefix) are kept.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        instance = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name not in many_to_many:
                setattr(instance, name, value)
        if hasattr(instance, "normalize"):
            instance.normalize()
        errors = _model_errors(instance, exclude=many_to_many)
        if errors:
            raise serializers.ValidationError(errors)
        for name in attrs:
            if name not in many_to_many:
                attrs[name] = getattr(instance, name)
        return attrs


def _model_errors(instance: models.Model, *, exclude: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def collect(error: DjangoValidationError, field: str | None = None) -> None:
        if field is not None:
            errors.setdefault(field, []).extend(error.messages)
            return
        for key, messages in error.update_error_dict({}).items():
            key = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key
            errors.setdefault(key, []).extend(
                m for e in messages for m in DjangoValidationError(e).messages
            )

    for check in (
        lambda: instance.clean_fields(exclude=exclude),
        instance.clean,
        lambda: instance.validate_unique(exclude=exclude),
    ):
        try:
            check()
        except DjangoValidationError as error:
            collect(error)
    for model, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model, instance, exclude=exclude)
            except DjangoValidationError as error:
                collect(error, _constraint_field(instance, constraint))
    return errors


def _constraint_field(instance: models.Model, constraint: models.BaseConstraint) -> str | None:
    """The one editable field a constraint is about, if there is exactly one."""
    names = set(getattr(constraint, "fields", ()) or ())
    condition = getattr(constraint, "condition", None)
    if not names and isinstance(condition, models.Q):
        names = set(condition.referenced_base_fields)
    editable = [name for name in names if instance._meta.get_field(name).editable]
    return editable[0] if len(editable) == 1 else None


class SlugLookupField(serializers.SlugRelatedField):
    """A SlugRelatedField that answers 400 to a value PostgreSQL cannot even compare (a NUL
    character), as it answers to any unknown slug, instead of failing in the database."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)
