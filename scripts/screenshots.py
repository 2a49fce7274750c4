"""Screenshots of the dashboard and a member page, on the demo data, for the README.

Usage: .venv/bin/python scripts/screenshots.py   (writes docs/screenshots/*.png)
"""
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from waitress import create_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def main():
    from core import create_app, demo, sweep
    from core.cli import create_staff, upgrade_database
    instance = Path(tempfile.mkdtemp())
    app = create_app({"WUGUAN_INSTANCE_PATH": str(instance)})
    password = secrets.token_urlsafe(12)
    with app.app_context():
        upgrade_database()
        demo.load()
        sweep.run_sweep()
        create_staff("admin", password, "系统管理员", "admin")
    server = create_server(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/login")
        page.fill("#username", "admin")
        page.fill("#password", password)
        page.click("#login")
        page.wait_for_selector("#total-members")
        page.screenshot(path=str(OUT / "dashboard.png"))
        page.goto(f"{base}/admin/member/details/?id=1")
        page.wait_for_selector("#member-name")
        page.screenshot(path=str(OUT / "member.png"))
        browser.close()
    server.close()
    shutil.rmtree(instance)
    print(f"wrote {OUT}/dashboard.png and member.png")


if __name__ == "__main__":
    sys.exit(main())
