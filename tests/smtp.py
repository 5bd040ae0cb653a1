"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import threading
import time
from email.message import EmailMessage

import pytest

from .servers import free_port


class Inbox:
    """What the server accepted, and ways to make it refuse or stall on purpose."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply, e.g. "451 try later"
        self.stall_at: int | None = None  # stall the RCPT of the Nth message (1-based)
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.rcpts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts += 1
            count = self.rcpts
        if self.stall_at is not None and count == self.stall_at:
            self.stalled.set()
            while not self.release.is_set():  # the sender is killed meanwhile
                await asyncio.sleep(0.05)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{count} message(s) expected, {len(self.messages)} arrived")


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", text_of(message))


@pytest.fixture
def smtp():
    """An SMTP server on a free loopback port; `smtp.url` is a MAIL_URL for it."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        if os.environ.get("FINDER_REQUIRE_ALL") == "1":
            pytest.fail("aiosmtpd is not installed (pip install -r requirements-dev.txt)")
        pytest.skip("aiosmtpd is not installed (pip install -r requirements-dev.txt)")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    inbox.release.set()
    controller.stop()
