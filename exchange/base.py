"""NetworkResource: the import rules every Kindnet resource shares.

- All or nothing: every row is read and validated (fields, clean(), check
  constraints, uniqueness within the file) before anything is written; one invalid
  row and nothing is written at all, dry run or not.
- Bulk writes once at the end (import-export's `use_bulk` with no batch size), in
  the import's transaction, with a history record per row naming the importing user.
- Lookups are loaded once per import (`prepare`), never once per row.
- The report names row, column and reason (see results.py).
- No column is ignored in silence: a column the kind does not know stops the import
  (with the closest known name) unless the caller says to ignore unknown columns.
- One rule for a repeated row (same natural key, or the same saved record): identical
  values are written once with a warning naming both rows; other values are an error
  naming both rows and the columns that differ. A row without key that repeats an
  earlier row cell for cell is written once as well.
- Imports of one kind run one at a time (locks.py); the second reads the existing rows
  after the first committed.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable, Mapping

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import DatabaseError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries.fields import CountryField
from import_export import resources, widgets

from crm.scope import scope_allows
from crm.signals import network_changed_send
from exchange import widgets as kn_widgets
from exchange.copy import history_copy, rows_copy
from exchange.locks import import_lock
from exchange.registry import resource_register
from exchange.results import ImportResult, ImportRowResult
from exchange.rules import check_constraints_errors

CHUNK = 2000
#: After writing this many rows, PostgreSQL's statistics of the tables are refreshed at
#: once (ANALYZE after the commit) rather than whenever autovacuum comes by: until then
#: the planner believes the tables as small as before and may choose plans for that.
ANALYZE_AFTER_ROWS = 10_000


class ColumnsError(ValueError):
    """The file's columns are wrong; `lines` says how, one sentence per column."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(" ".join(lines))
        self.lines = lines


def frozen(values: Mapping[str, object]) -> tuple:
    """A row's imported values as a hashable whole (sets of related ids sorted)."""
    return tuple(
        (name, tuple(sorted(value)) if isinstance(value, set) else value)
        for name, value in sorted(values.items())
    )


def stored_value(instance: models.Model, attname: str) -> object:
    """The value of `attname` as the instance holds it. Model fields live in `__dict__`;
    reading them there skips descriptors such as django-countries', which builds a
    Country object (translations, settings) on every read: 8 reads a row in an import."""
    values = instance.__dict__
    return values[attname] if attname in values else getattr(instance, attname, None)


def tables_analyze(tables: list[str], *, using: str) -> None:
    """Refresh PostgreSQL's planner statistics of `tables` (nothing on other databases)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def widget_for(django_field: models.Field) -> widgets.Widget | None:
    """The Kindnet widget that reads this kind of model field from a spreadsheet cell."""
    if isinstance(django_field, CountryField):
        return kn_widgets.CountryWidget()
    if django_field.choices:
        return kn_widgets.ChoiceWidget(django_field.flatchoices)
    if isinstance(django_field, models.BooleanField):
        return kn_widgets.YesNoWidget()
    if isinstance(django_field, models.DateTimeField):
        return None
    if isinstance(django_field, models.DateField):
        return kn_widgets.DayWidget()
    if isinstance(django_field, models.IntegerField):
        return kn_widgets.WholeNumberWidget()
    if isinstance(django_field, models.CharField | models.TextField):
        return kn_widgets.TextWidget()
    return None


class NetworkResource(resources.ModelResource):
    """Base of every Kindnet resource; subclasses name columns, keys and lookups."""

    #: The name `manage.py import` / `export` know it by ("schools"); declaring it
    #: registers the resource (see registry.py).
    name: str = ""
    #: Columns a file must have (e.g. "name").
    required_columns: tuple[str, ...] = ()
    #: Columns that identify a row (natural key), listed in messages about duplicates.
    key_columns: tuple[str, ...] = ()
    #: "app_label.codename" needed to export, besides viewing: people (ambassadors,
    #: contacts) are not exported by whoever can see them.
    export_permission: str | None = None

    class Meta:
        use_bulk = True
        batch_size = None  # collect every row, write once after all of them validated
        skip_diff = True  # we compare values ourselves, far cheaper than HTML diffs
        store_row_values = False  # a row's cells are kept for the preview only (`cells`)
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = None
        self.dry_run = False
        self.file_name = ""
        self.row_number = 0
        self.present_columns: set[str] = set()
        self.row_warnings: dict[int, list[str]] = {}
        self.file_warnings: list[str] = []
        #: Key of a row (natural key, saved record or values) -> (row number, its new
        #: instance or a saved record's values); values are compared when a key comes back.
        self.seen_rows: dict[tuple, tuple[int, models.Model | dict]] = {}
        self.dataset = None
        self.written_rows = 0
        self._conflict: str | None = None
        self._repeat_of: int | None = None
        self._before: dict[str, object] | None = None
        self._changed: list[str] = []
        self.matched: dict[int, int] = {}
        self.unreadable = False
        self._import_fields: list | None = None
        self._column_names: dict[str, str] | None = None
        self._present_attributes: set[str] | None = None
        self.existing: dict[int, models.Model] = {}
        self.written_member_ids: set[int] = set()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        resource_register(cls)

    # -- import-export hooks -------------------------------------------------

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        widget = widget_for(django_field)
        if widget is not None:
            field.widget = widget
        return field

    @classmethod
    def get_result_class(cls):
        return ImportResult

    @classmethod
    def get_row_result_class(cls):
        return ImportRowResult

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        # All or nothing, whoever calls: the admin, the command or a script.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        # The library does not pass dry_run on to before_import: the hooks read it here.
        self.dry_run = bool(dry_run)
        result = super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)
        result.column_of = self.column_names()
        result.file_warnings = list(self.file_warnings)
        return result

    def before_import(self, dataset, **kwargs) -> None:
        # Until the file's columns are known to be right, rows are not worth reading.
        self.unreadable = True
        self.dataset = dataset
        self.written_rows = 0
        self.written_member_ids = set()
        self.user = kwargs.get("user")
        if self.user is not None and not getattr(self.user, "pk", None):
            self.user = None  # AnonymousUser: history keeps no user
        self.file_name = str(kwargs.get("file_name") or "")
        self.file_warnings = []
        if not self.dry_run:
            # Before anything is read: a second import of this kind reads what the first wrote.
            import_lock(
                self._meta.model,
                using=self.get_db_connection_name(),
                what=self.name or str(self._meta.model._meta.verbose_name_plural),
                on_wait=kwargs.get("on_wait"),
            )
        dataset.headers = [str(h or "").strip().lower().replace(" ", "_") for h in dataset.headers]
        self.present_columns = set(dataset.headers)
        problems = []
        missing = [c for c in self.required_columns if c not in self.present_columns]
        if missing:
            problems.append(
                _("The file has no column %(columns)s; the first row must name the columns.")
                % {"columns": ", ".join(missing)}
            )
        unknown = self.unknown_columns(dataset.headers)
        if unknown and kwargs.get("ignore_unknown_columns"):
            self.file_warnings = [_("%(line)s Ignored.") % {"line": line} for line in unknown]
        elif unknown:
            problems += [
                *unknown,
                _(
                    "Rename or remove the unknown columns, or import with "
                    "--ignore-unknown-columns (in the admin: tick “Ignore unknown columns”)."
                ),
            ]
        if problems:
            raise ColumnsError(problems)
        for field in self.fields.values():
            if hasattr(field.widget, "load"):
                field.widget.load()
        self.prepare(dataset)
        self.unreadable = False

    def known_columns(self) -> list[str]:
        """Every column this kind reads or writes, in the documented order."""
        return list(dict.fromkeys(f.column_name for f in self.fields.values() if f.column_name))

    def unknown_columns(self, headers: list[str]) -> list[str]:
        """One sentence per column this kind does not know, with the closest known name."""
        known = self.known_columns()
        lines = []
        for header in headers:
            if not header or header in known:
                continue
            close = difflib.get_close_matches(header, known, n=1)
            if close:
                lines.append(
                    _("%(column)s: unknown column; did you mean %(known)s?")
                    % {"column": header, "known": close[0]}
                )
            else:
                lines.append(_("%(column)s: unknown column.") % {"column": header})
        return lines

    def prepare(self, dataset) -> None:
        """Load once whatever the rows will look up; subclasses extend."""

    def import_row(self, row, instance_loader, **kwargs):
        self.row_number = kwargs["row_number"] + 1  # header is row 1
        if self.unreadable or not any(kn_widgets.cell_text(v) for v in row.values()):
            row_result = self.get_row_result_class()()
            row_result.import_type = row_result.IMPORT_TYPE_SKIP
            row_result.blank = True
        else:
            self._before, self._changed = None, []
            self._conflict, self._repeat_of = None, None
            row_result = super().import_row(row, instance_loader, **kwargs)
            row_result.warnings = self.row_warnings.get(self.row_number, [])
            row_result.changed = self._changed
            row_result.repeat_of = self._repeat_of
            if self.dry_run:  # the preview shows them; a real import keeps no copy per row
                row_result.cells = [row.get(c, "") for c in self.column_list()]
        row_result.number = self.row_number
        return row_result

    def get_or_init_instance(self, instance_loader, row):
        instance = self.existing_instance(row)
        if instance is None:
            return self.init_instance(row), True
        return instance, False

    def existing_instance(self, row: Mapping) -> models.Model | None:
        """The saved object this row describes, from what `prepare` loaded; no query."""
        return self.existing.get(self.matched.get(self.row_number))

    def after_init_instance(self, instance, new, row, **kwargs) -> None:
        # A saved row outside the importer's chapters may not be changed, even into them.
        self._outside_scope = (
            not new and self.user is not None and not scope_allows(self.user, instance)
        )
        if not new:
            self._before = self.snapshot(instance)

    def import_instance(self, instance, row, **kwargs) -> None:
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        instance._import_m2m = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    instance._import_m2m[field.attribute] = field.clean(row)
                except ValueError as exc:
                    errors[field.attribute] = [str(exc)]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if import_validation_errors:
            return False
        if instance.pk is not None or self.instance_key(instance) is None:
            # Compared value for value (with the saved record, or with earlier rows): in the
            # canonical form. A new row with a key is normalised once, by full_clean.
            self.normalize(instance)
        if self.repeats_earlier_row(instance, row):
            return True
        if self._before is None:
            return False
        after = self.snapshot(instance)
        self._changed = [
            self.column_names().get(name, name)
            for name, value in after.items()
            if value != self._before.get(name)
        ]
        return not self._changed

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if import_validation_errors:
            self.normalize(instance)  # skip_row, which normalises, stopped short
        # Relations come from lookups loaded once (widgets); Django would check each
        # with a query per row, as it would uniqueness and constraints (see validate_row).
        # CountryWidget only returns valid codes, and django-countries' own check walks
        # every country's translated name: a third of the import's time.
        checked = [
            f.name
            for f in instance._meta.concrete_fields
            if f.is_relation or isinstance(f, CountryField)
        ]
        try:
            instance.full_clean(
                exclude=[*errors, *checked], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for key, messages in check_constraints_errors(
            instance, columns=self.present_attributes(), exclude=set(errors)
        ).items():
            errors.setdefault(key, []).extend(messages)
        if not errors:
            self.validate_row(instance, errors)
        if self.user is not None and (
            getattr(self, "_outside_scope", False) or not scope_allows(self.user, instance)
        ):
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                _("This row is outside the chapters you work for; it cannot be imported.")
            )
        if errors:
            raise ValidationError(errors)

    def validate_row(self, instance, errors: dict) -> None:
        """Rules across rows and with the database (uniqueness); add to `errors`."""
        if self._conflict:
            errors.setdefault(NON_FIELD_ERRORS, []).append(self._conflict)

    def repeats_earlier_row(self, instance, row: Mapping) -> bool:
        """Whether this row repeats an earlier one with the same values (then it is not
        written again); one with the same key and other values is kept for validate_row."""
        key = self.instance_key(instance)
        if key is not None:
            seen = ("key", key)
        elif instance.pk is not None:
            seen = ("pk", instance.pk)
        else:
            seen = ("values", frozen(self.snapshot(instance)))
        # A saved record's instance is shared by every row that matches it: its values now.
        kept = self.snapshot(instance) if instance.pk is not None else instance
        first, first_kept = self.seen_rows.setdefault(seen, (self.row_number, kept))
        if first == self.row_number:
            return False
        self.normalize(instance)  # a keyed row comes back: its values are compared
        values = self.snapshot(instance)
        first_values = first_kept if isinstance(first_kept, dict) else self.snapshot(first_kept)
        what = self.repeat_reason(seen)
        if first_values == values:
            self._repeat_of = first
            if seen[0] == "values":
                text = _("Row %(row)d repeats row %(first)d value for value: imported once.")
            else:
                text = _(
                    "Row %(row)d repeats row %(first)d (%(what)s, same values): imported once."
                )
            self.warn(text % {"row": self.row_number, "first": first, "what": what})
            return True
        columns = self.column_names()
        first_cells = self.row_cells(first)
        differences = []
        for name in values:
            if values[name] == first_values.get(name):
                continue
            column = columns.get(name, name)
            differences.append(
                _("%(column)s (row %(first)d: “%(before)s”, row %(row)d: “%(after)s”)")
                % {
                    "column": column,
                    "first": first,
                    "before": kn_widgets.cell_text(first_cells.get(column)),
                    "row": self.row_number,
                    "after": kn_widgets.cell_text(row.get(column)),
                }
            )
        self._conflict = _(
            "%(what)s as row %(first)d, with other values in %(columns)s; keep one of the two rows."
        ) % {"what": what[:1].upper() + what[1:], "first": first, "columns": "; ".join(differences)}
        return False

    def repeat_reason(self, seen: tuple) -> str:
        """What makes two rows the same record ("the same school_code (X)"), for messages."""
        if seen[0] == "key":
            return _("the same %(columns)s (%(key)s)") % {
                "columns": " + ".join(self.key_columns) or _("key"),
                "key": " ".join(str(part) for part in seen[1] if part is not None),
            }
        if seen[0] == "pk":
            return _("the same saved %(kind)s (id %(pk)d)") % {
                "kind": self._meta.model._meta.verbose_name,
                "pk": seen[1],
            }
        return _("the same values")

    def row_cells(self, number: int) -> dict[str, object]:
        """The cells of spreadsheet row `number`, read again from the file (none are copied)."""
        return dict(zip(self.dataset.headers, self.dataset[number - 2], strict=False))

    def instance_key(self, instance) -> tuple | None:
        """The natural key of a validated instance, for duplicates within the file."""
        return None

    def normalize(self, instance) -> None:
        """Bring derived values in line before comparing and validating (no queries)."""

    # -- writing -------------------------------------------------------------

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write(self.create_instances, created=True, raise_errors=raise_errors, result=result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write(self.update_instances, created=False, raise_errors=raise_errors, result=result)

    def bulk_delete(self, using_transactions, dry_run, raise_errors, result=None):
        self.delete_instances.clear()  # imports never delete

    def _write(self, instances: list, *, created: bool, raise_errors: bool, result) -> None:
        try:
            if not instances or (result and (result.has_errors() or result.invalid_rows)):
                return
            with transaction.atomic(using=self.get_db_connection_name()):
                if created:
                    self.insert(instances)
                else:
                    self.update(instances)
                self.write_history(instances, created=created)
                self.write_m2m(instances, created=created)
                self.written_member_ids.update(self.member_ids_of(instances))
                self.written_rows += len(instances)
        except (DatabaseError, ValueError, TypeError) as exc:
            self.handle_import_error(result, exc, raise_errors)
        finally:
            instances.clear()

    def member_ids_of(self, instances: list) -> set[int]:
        """The members that these written rows belong to (agreements, contacts: their member)."""
        return {instance.member_id for instance in instances}

    def insert(self, instances: list) -> None:
        self._meta.model.objects.bulk_create(instances, batch_size=CHUNK)

    def update(self, instances: list) -> None:
        now = timezone.now()
        names = self.update_field_names()
        if "updated_at" in {f.name for f in self._meta.model._meta.concrete_fields}:
            for instance in instances:
                instance.updated_at = now
            names = [*names, "updated_at"]
        if names:
            self._meta.model.objects.bulk_update(instances, names, batch_size=500)

    def update_field_names(self) -> list[str]:
        """Model fields an update writes: the imported columns and what derives from them."""
        model_fields = {f.name for f in self._meta.model._meta.concrete_fields if not f.primary_key}
        names = [
            field.attribute.removesuffix("_id")
            for field in self.get_import_fields()
            if field.column_name in self.present_columns and field.attribute
        ]
        names += self.derived_fields()
        return sorted({n for n in names if n in model_fields})

    def derived_fields(self) -> list[str]:
        """Fields computed from imported columns (e.g. an ambassador's name)."""
        return []

    def write_history(self, instances: list, *, created: bool) -> None:
        history = getattr(self._meta.model, "history", None)
        if history is None:
            return
        reason = _("Imported from %(file)s") % {"file": self.file_name or _("a file")}
        now = timezone.now()
        using = self.get_db_connection_name()
        if connections[using].vendor == "postgresql":
            history_copy(
                history.model,
                instances,
                using=using,
                user=self.user,
                reason=reason[:100],
                date=now,
                update=not created,
            )
            return
        for part in chunks(instances):  # the history rows of one chunk at a time in memory
            history.bulk_history_create(
                part,
                batch_size=CHUNK,
                update=not created,
                default_user=self.user,
                default_change_reason=reason[:100],
                default_date=now,
            )

    def write_m2m(self, instances: list, *, created: bool) -> None:
        for field in self.get_import_fields():
            if not isinstance(field.widget, widgets.ManyToManyWidget):
                continue
            relation = self._meta.model._meta.get_field(field.attribute)
            through = relation.remote_field.through
            source = relation.m2m_field_name()
            target = relation.m2m_reverse_field_name()
            touched = [i for i in instances if field.attribute in getattr(i, "_import_m2m", {})]
            if not created:
                for part in chunks([i.pk for i in touched]):
                    through.objects.filter(**{f"{source}__in": part}).delete()
            pairs = (
                (i.pk, related.pk) for i in touched for related in i._import_m2m[field.attribute]
            )
            connection = connections[self.get_db_connection_name()]
            if connection.vendor == "postgresql":  # no ids needed back: COPY (see copy.py)
                columns = [through._meta.get_field(source), through._meta.get_field(target)]
                rows_copy(connection, through._meta.db_table, columns, pairs)
                continue
            through.objects.bulk_create(
                [through(**{f"{source}_id": s, f"{target}_id": t}) for s, t in pairs],
                batch_size=CHUNK,
            )

    def after_import(self, dataset, result, **kwargs) -> None:
        # No sequence reset (the library's default): we never insert explicit ids.
        if self.written_rows >= ANALYZE_AFTER_ROWS and not self.dry_run and not self.failed(result):
            tables = self.written_tables()
            using = self.get_db_connection_name()
            transaction.on_commit(lambda: tables_analyze(tables, using=using), using=using)
        if self.written_member_ids and not self.dry_run and not self.failed(result):
            # Bulk writes send no model signal: the core's own one, once for the whole file.
            network_changed_send(
                sender=self._meta.model, member_ids=sorted(self.written_member_ids)
            )

    def written_tables(self) -> list[str]:
        """The tables a write of this resource fills: its model's (and parents'), its
        history's and its many-to-many links'."""
        model = self._meta.model
        models_written = [model, *model._meta.get_parent_list()]
        history = getattr(model, "history", None)
        if history is not None:
            models_written.append(history.model)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                models_written.append(model._meta.get_field(field.attribute).remote_field.through)
        return [m._meta.db_table for m in models_written]

    @staticmethod
    def failed(result) -> bool:
        """Whether the import is rolled back: nothing it wrote stays."""
        return bool(result.has_errors() or result.invalid_rows)

    # -- reading back --------------------------------------------------------

    def snapshot(self, instance) -> dict[str, object]:
        """The imported values of `instance`, to tell an unchanged row from an update."""
        values: dict[str, object] = {}
        for field in self.get_import_fields():
            if not field.attribute or field.column_name not in self.present_columns:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                values[field.attribute] = self.m2m_ids(instance, field.attribute)
                continue
            value = stored_value(instance, self.attname(field.attribute))
            if hasattr(value, "code"):  # django-countries' Country
                value = value.code
            if isinstance(value, datetime.datetime):
                value = value.date()
            values[field.attribute] = value.pk if isinstance(value, models.Model) else value
        return values

    def attname(self, attribute: str) -> str:
        """`chapter_id` for `chapter`: reading the id costs no query."""
        try:
            field = self._meta.model._meta.get_field(attribute)
        except FieldDoesNotExist:
            return attribute
        return getattr(field, "attname", attribute)

    def m2m_ids(self, instance, attribute: str) -> set[int]:
        pending = getattr(instance, "_import_m2m", {})
        if attribute in pending:
            return {related.pk for related in pending[attribute]}
        return self.saved_m2m_ids(instance, attribute)

    def saved_m2m_ids(self, instance, attribute: str) -> set[int]:
        """The related ids saved for `instance`, from what `prepare` loaded."""
        return set()

    def get_import_fields(self):
        # The library recomputes the ordered list on every call, several times per row.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def column_names(self) -> dict[str, str]:
        """Attribute or model field name -> column name, for messages."""
        if self._column_names is not None:
            return self._column_names
        names = {}
        for name, field in self.fields.items():
            names[name] = field.column_name
            if field.attribute:
                names[field.attribute] = field.column_name
                names[field.attribute.removesuffix("_id")] = field.column_name
        self._column_names = names
        return names

    def column_list(self) -> list[str]:
        return [f.column_name for f in self.get_import_fields()]

    def present_attributes(self) -> set[str]:
        if self._present_attributes is None:
            self._present_attributes = {
                f.attribute
                for f in self.get_import_fields()
                if f.attribute and f.column_name in self.present_columns
            }
        return self._present_attributes

    def warn(self, message: str) -> None:
        self.row_warnings.setdefault(self.row_number, []).append(message)

    @classmethod
    def template_headers(cls) -> list[str]:
        """The columns of the empty template, in the documented order."""
        return [f.column_name for f in cls().get_import_fields()]
