from celery import shared_task


@shared_task(acks_late=True)
def sms_send_task(sms_id: int) -> bool:
    from accounts import sms_outbox  # imported here: sms_outbox imports this module

    return sms_outbox.sms_send(sms_id=sms_id)


@shared_task(acks_late=True)
def sms_dispatch_due_task() -> dict:
    from accounts import sms_outbox

    return sms_outbox.sms_dispatch_due()
