from celery import shared_task


@shared_task(acks_late=True)
def campaigns_repeat_task() -> int:
    from grid import services  # imported here, as disputes.tasks does

    return services.campaigns_repeat()
