"""`wuguan run` on a bare machine: web, worker and beat start, and Ctrl-C stops them all."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

WUGUAN = [sys.executable, "-c", "from core.cli import main; main()"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def http_status(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status
    except Exception:
        return None


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def bare_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    env["WUGUAN_INSTANCE_PATH"] = str(tmp_path / "instance")
    return env


def start(env, tmp_path, port):
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen([*WUGUAN, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def test_run_starts_everything_on_the_embedded_default_and_ctrl_c_stops_it_all(bare_env, tmp_path):
    port = free_port()
    proc, log = start(bare_env, tmp_path, port)
    try:
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/login") == 200, 90, "the web server")
        wait_for(lambda: "ready." in (tmp_path / "run.log").read_text(), 90, "the Celery worker")
        wait_for(lambda: "beat: Starting" in (tmp_path / "run.log").read_text(), 90, "Celery beat")
        wait_for(lambda: "密码:" in (tmp_path / "run.log").read_text(), 90, "the address and the login, once it listens")
        output = (tmp_path / "run.log").read_text()
        password = (tmp_path / "instance" / "initial-admin.txt").read_text().strip()
        assert f"密码: {password}" in output and len(password) >= 12
        assert (tmp_path / "instance" / "wuguan.sqlite").exists()
        assert "sqla+sqlite" in output  # the server-less broker
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert proc.wait(timeout=60) == 0
        wait_for(lambda: not group_alive(proc.pid), 30, "every child to exit")
        assert http_status(f"http://127.0.0.1:{port}/login") is None
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_when_one_child_dies_the_others_are_stopped(bare_env, tmp_path):
    port = free_port()
    proc, log = start(bare_env, tmp_path, port)
    try:
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/login") == 200, 90, "the web server")
        web = subprocess.run(["pgrep", "-g", str(proc.pid), "-f", "waitress"], capture_output=True, text=True)
        os.kill(int(web.stdout.split()[0]), signal.SIGKILL)
        assert proc.wait(timeout=60) != 0
        wait_for(lambda: not group_alive(proc.pid), 30, "every child to exit")
        assert "web exited" in (tmp_path / "run.log").read_text()
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
