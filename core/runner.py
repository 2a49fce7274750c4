"""`wuguan run`: web server, Celery worker and beat as child processes that stop together."""
import os
import signal
import subprocess
import sys
import time


def commands(host, port):
    python = sys.executable
    return {
        "web": [python, "-m", "waitress", f"--listen={host}:{port}", "--threads=8", "--call", "core:create_app"],
        "worker": [python, "-m", "celery", "-A", "workers", "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [python, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO"],
    }


def run_all(host, port):
    """Start every child; when one exits or we are interrupted, stop the rest. Returns an exit code."""
    children = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands(host, port).items()}
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"{name} exited with {child.returncode}; stopping the others", file=sys.stderr)
                    code = child.returncode or 1
                    stopping = True
                    break
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
    return code
