"""An SMS backend for worker processes in tests: each message is one JSON line appended to a file
in LINLI_TEST_SMS_DIR, after LINLI_TEST_SMS_DELAY_MS (a gateway's latency: a worker killed in
that time has handed nothing over)."""

import json
import os
import time
from collections import Counter
from pathlib import Path


class FileSmsBackend:
    def send(self, *, phone: str, text: str, reference: str = "", template: str = "", params=None) -> None:
        time.sleep(int(os.environ.get("LINLI_TEST_SMS_DELAY_MS", "0")) / 1000)
        line = json.dumps({"phone": phone, "reference": reference, "template": template, "text": text}) + "\n"
        directory = Path(os.environ["LINLI_TEST_SMS_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / f"{os.getpid()}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line.encode())  # one write per line: whole lines survive a SIGKILL
        finally:
            os.close(fd)


def read_sms_dir(path: Path) -> list[dict]:
    if not Path(path).exists():
        return []
    return [json.loads(line) for file in Path(path).iterdir() for line in file.read_text().splitlines() if line]


def deliveries(path: Path) -> Counter:
    """How many times each outbox row (its key, the gateway reference) was handed over."""
    return Counter(m["reference"] for m in read_sms_dir(path))
