from __future__ import annotations

import pytest

from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


def test_admin_index_opens_for_superuser(superuser_client):
    AgreementFactory()
    assert superuser_client.get("/admin/").status_code == 200
    assert superuser_client.get("/admin/crm/member/").status_code == 200
