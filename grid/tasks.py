from celery import shared_task


@shared_task(acks_late=True)
def campaign_late_scan_task() -> int:
    from grid import services  # imported here, as disputes.tasks does

    return services.campaign_late_scan()


@shared_task(acks_late=True)
def order_late_scan_task() -> int:
    from grid import services

    return services.order_late_scan()
