from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    """The task worker. Listed before `django_tasks_db` in INSTALLED_APPS so that its
    `db_worker` command is the one `manage.py` runs."""

    name = "kindnet.worker"
    label = "kindnet_worker"
    verbose_name = _("Task worker")
