"""The model's check constraints, evaluated in Python on an unsaved instance.

Django validates a CheckConstraint with one query per instance; an import of
50,000 rows cannot afford that. Our constraints only compare fields with values or
with each other, which this evaluator does with SQL's three-valued logic (a
comparison with NULL is unknown, and a CHECK fails only when it is false).
"""

from __future__ import annotations

import operator

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q

_COMPARE = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class NotEvaluable(Exception):
    """The condition uses a lookup this evaluator does not know."""


def _value(instance: models.Model, name: str) -> object:
    field = instance._meta.get_field(name)
    value = getattr(instance, field.attname)
    return None if value is None else (str(value) if hasattr(value, "code") else value)


def _leaf(instance: models.Model, lookup: str, expected: object) -> bool | None:
    name, _sep, op = lookup.partition("__")
    left = _value(instance, name)
    if op == "isnull":
        return (left is None) is bool(expected)
    right = _value(instance, expected.name) if isinstance(expected, F) else expected
    compare = _COMPARE.get(op or "exact")
    if compare is None or isinstance(expected, models.Expression | Q):
        raise NotEvaluable(lookup)
    if left is None or right is None:
        return None
    return compare(left, right)


def q_holds(q: Q, instance: models.Model) -> bool | None:
    """True, False or None (unknown) for `q` on `instance`, as SQL would say."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(q_holds(child, instance))
        else:
            results.append(_leaf(instance, *child))
    if q.connector == Q.AND:
        outcome = False if False in results else (None if None in results else True)
    else:
        outcome = True if True in results else (None if None in results else False)
    if q.negated and outcome is not None:
        outcome = not outcome
    return outcome


_FIELDS_OF: dict[int, list[str]] = {}


def _constraint_fields(constraint: models.CheckConstraint) -> list[str]:
    """The fields a constraint names, worked out once per constraint."""
    names = _FIELDS_OF.get(id(constraint))
    if names is None:
        names = _FIELDS_OF[id(constraint)] = _fields_of(constraint.condition)
    return names


def _fields_of(q: Q) -> list[str]:
    names = []
    for child in q.children:
        if isinstance(child, Q):
            names.extend(_fields_of(child))
        else:
            names.append(child[0].split("__")[0])
    return names


def check_constraints_errors(
    instance: models.Model, *, columns: set[str], exclude: set[str]
) -> dict[str, list[str]]:
    """Errors of every violated CheckConstraint, on the first column it names (if imported)."""
    errors: dict[str, list[str]] = {}
    for model in [type(instance), *instance._meta.get_parent_list()]:
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.CheckConstraint):
                continue
            names = _constraint_fields(constraint)
            if exclude.intersection(names):
                continue
            try:
                holds = q_holds(constraint.condition, instance)
            except NotEvaluable:
                try:
                    constraint.validate(model, instance)
                    holds = True
                except ValidationError:
                    holds = False
            if holds is False:
                key = next((n for n in names if n in columns), NON_FIELD_ERRORS)
                errors.setdefault(key, []).append(str(constraint.get_violation_error_message()))
    return errors
