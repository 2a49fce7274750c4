"""`wuguan run`: web server, Celery worker and beat as child processes that stop together."""
import os
import signal
import socket
import subprocess
import sys
import time

from .settings import QUEUES


def commands(host, port):
    python = sys.executable
    return {
        "web": [python, "-m", "waitress", f"--listen={host}:{port}", "--threads=8", "--call", "core:create_app"],
        "worker": [python, "-m", "celery", "-A", "workers", "worker", "--loglevel=INFO", "--concurrency=2",
                   "-Q", ",".join(QUEUES)],
        "beat": [python, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO"],
    }


def run_all(host, port, ready=lambda: None):
    """Start every child; call `ready` once the web server accepts connections (so the address it
    announces answers); when one child exits or we are interrupted, stop the rest. Returns an exit code."""
    children = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands(host, port).items()}
    stopping = False
    waiting = True

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"{name} exited with {child.returncode}; stopping the others", file=sys.stderr)
                    code = child.returncode or 1
                    stopping = True
                    break
            if not stopping and waiting and listening(host, port):
                waiting = False
                ready()
            if not stopping:
                time.sleep(0.5)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def listening(host, port):
    """Whether something accepts connections at the address the web server listens on."""
    address = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False
