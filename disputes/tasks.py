from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=2)
def reminder_send_task(reminder_id: int) -> None:
    from disputes import notifications  # imported here: notifications imports this module

    notifications.reminder_send(reminder_id=reminder_id)
