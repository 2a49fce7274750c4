"""Real services for the reliability tests: a private redis-server, an SMTP sink, Celery processes.

Each test gets its own redis-server on a free port, so stopping it harms nobody else.
Without the redis-server program the tests skip, except under CI where they fail.
"""
import asyncio
import contextlib
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from aiosmtpd.controller import Controller
from email import message_from_bytes
from email.policy import default as email_policy
import pytest

from core.settings import QUEUES
from core.testing import _ci

ROOT = Path(__file__).parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=60, interval=0.1, what="condition"):
    """Poll until `predicate()` is true; the timeout only bounds a hung test, it asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what}")


class RedisServer:
    def __init__(self, folder):
        self.folder, self.port, self.process = folder, free_port(), None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, timeout=20, what="redis-server to answer")

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        if _ci():
            pytest.fail("redis-server is required under CI")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class SinkHandler:
    """Records every message the moment its data arrives, then waits `delay` before saying 250;
    refuses the recipients in `refuse` as often as it says."""

    def __init__(self, delay=0.0):
        self.delay, self.messages, self.lock = delay, [], threading.Lock()
        self.on_message = None  # called with the count so far, before the server answers
        self.refuse = {}  # recipient address -> how many more times to answer 550 to it

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.refuse.get(address):
                self.refuse[address] -= 1
                return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=email_policy)
        with self.lock:
            self.messages.append({"message_id": mail["Message-ID"], "to": envelope.rcpt_tos,
                                  "subject": str(mail["Subject"]),
                                  "attachments": [p.get_filename() for p in mail.iter_attachments()]})
            count = len(self.messages)
        if self.on_message:
            self.on_message(count)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def ids(self):
        with self.lock:
            return [m["message_id"] for m in self.messages]


@pytest.fixture
def smtp_sink():
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


class CeleryProcess:
    """`celery -A workers worker|beat` in its own session, so SIGKILL takes its pool children too."""

    def __init__(self, env, log, *args):
        self.log = log
        self.process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers", *args],
                                        cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def text(self):
        return Path(self.log).read_text(encoding="utf-8", errors="replace")

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self):
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_processes():
    started = []

    def start(env, log, *args):
        process = CeleryProcess(env, log, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def worker_args(name, concurrency=1, queues=QUEUES):
    return ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork", "-n", f"{name}@%h",
            "--without-mingle", "--without-gossip", "-Q", ",".join(queues)]


def wait_ready(worker):
    wait_for(lambda: "ready." in worker.text() or worker.process.poll() is not None, timeout=90,
             what="the worker to start")
    assert worker.process.poll() is None, worker.text()
