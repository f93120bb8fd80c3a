"""Background tasks of mailings: thin wrappers that take ids, never objects."""

from __future__ import annotations

from django_tasks import task

from mailings.services import (
    mailing_batch_send,
    mailing_test_send,
    subscription_confirmation_send,
)


@task()
def subscription_confirmation_task(*, subscriber_id: int) -> bool:
    return subscription_confirmation_send(subscriber_id=subscriber_id)


@task()
def mailing_batch_task(*, mailing_id: int, first_id: int, last_id: int) -> dict:
    return mailing_batch_send(mailing_id=mailing_id, first_id=first_id, last_id=last_id)


@task()
def mailing_test_task(*, mailing_id: int, email: str) -> int:
    return mailing_test_send(mailing_id=mailing_id, email=email)
