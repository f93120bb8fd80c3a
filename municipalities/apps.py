from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities")

    def ready(self) -> None:
        from crm.daily import daily_duty_register
        from municipalities.reconfirmation import mayor_terms_reconfirm

        # The daily `manage.py renewals` also looks at mayors' terms (crm/daily.py).
        daily_duty_register(mayor_terms_reconfirm)
