"""GET /docs is the API reference, served whole by the suite (no request leaves for the internet):
headless Chromium renders it and every operation of /openapi.json is listed on the page."""
import html
import shutil
import subprocess
import tempfile

import pytest

METHODS = ("get", "post", "patch", "delete", "put")


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed (deploy/local/bootstrap.sh installs it)")


def test_the_reference_page_lists_every_operation(anon, base_url):
    spec = anon.get("/openapi.json").json
    page = anon.get("/docs")
    assert page.status == 200 and page.headers.get("Content-Type", "").startswith("text/html"), page
    assert "https://" not in page.text and "http://" not in page.text  # nothing from elsewhere
    script = anon.get("/docs/redoc.standalone.js")
    assert script.status == 200 and len(script.text) > 100000, script.status
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
                              "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--no-first-run",
                              "--virtual-time-budget=20000", "--dump-dom", base_url + "/docs"],
                             capture_output=True, text=True, timeout=120)
    dom = html.unescape(out.stdout)
    assert "redoc" in dom.lower(), (out.returncode, out.stderr[-2000:])
    missing = [op["summary"] for item in spec["paths"].values() for m, op in item.items()
               if m in METHODS and op["summary"] not in dom]
    assert not missing, "operations not on the page: %s" % missing
