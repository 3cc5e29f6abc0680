"""The shipped nginx configuration in front of gunicorn, in Chromium: a phone joins through nginx over
TLS, the presenter moves on, the phone follows live within a second (the stream is not buffered), and
its answer is stored.

nginx runs as an ordinary process on free ports with a configuration generated from
deploy/nginx/tavlan.conf, the file docs/deployment.md ships: only the ports, the upstream address, the
certificate, the log path and the host name are substituted (each substitution must match, so a changed
file cannot silently drop out of the test). Skipped only when /usr/sbin/nginx is missing
(scripts/system-deps.sh installs it for `make test`).
"""
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.server import FACILITATOR, ROOT, free_port, prepare_meeting, running_server

NGINX = "/usr/sbin/nginx"
SHIPPED = ROOT / "deploy" / "nginx" / "tavlan.conf"

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is missing (Debian package nginx; "
                                                                  "scripts/system-deps.sh installs it)")


def substitute(text: str, pattern: str, replacement: str) -> str:
    """re.sub that insists on a match: the test must run the shipped file, not something else."""
    result, count = re.subn(pattern, replacement, text, flags=re.M)
    assert count, f"{SHIPPED.name} no longer has a line matching {pattern!r}; update tests/e2e/test_nginx.py"
    return result


def site_config(upstream: str, https_port: int, http_port: int, cert: Path, key: Path, logs: Path) -> str:
    text = SHIPPED.read_text()
    text = substitute(text, r"^(\s*server )127\.0\.0\.1:8000;", rf"\g<1>{upstream};")
    text = substitute(text, r"^\s*listen \[::\]:\d+.*\n", "")  # the test binds loopback IPv4 only
    text = substitute(text, r"^(\s*listen )443 ", rf"\g<1>127.0.0.1:{https_port} ")
    text = substitute(text, r"^(\s*listen )80;", rf"\g<1>127.0.0.1:{http_port};")
    text = substitute(text, r"server_name tavlan\.example\.se;", "server_name 127.0.0.1;")
    text = substitute(text, r"^(\s*ssl_certificate )\S+;", rf"\g<1>{cert};")
    text = substitute(text, r"^(\s*ssl_certificate_key )\S+;", rf"\g<1>{key};")
    return substitute(text, r"/var/log/nginx/tavlan\.access\.log", str(logs / "access.log"))


def main_config(site: str, home: Path) -> str:
    """What /etc/nginx/nginx.conf does for a site file, with everything in `home`."""
    temp = "\n".join(f"    {kind}_temp_path {home}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    return (("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\ndaemon off;\npid {home}/nginx.pid;\nerror_log {home}/error.log info;\n"
            + "events { worker_connections 1024; }\n"
            + f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            + f"    access_log {home}/access-default.log;\n{temp}\n{site}\n}}\n")


def logged(log: Path, pattern: str) -> None:
    """nginx writes an access log line just after the response: wait for it a little."""
    for _ in range(50):
        if re.search(pattern, log.read_text()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no line matching {pattern!r} in the access log:\n{log.read_text()}")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """gunicorn as `make run` starts it (behind a proxy), and nginx in front: yields the URLs."""
    home = tmp_path_factory.mktemp("nginx")
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    with running_server(home / "app", TAVLAN_BEHIND_PROXY="1", TAVLAN_SSE_RECONNECT_MS="200") as upstream:
        https_port, http_port = free_port(), free_port()
        conf = home / "nginx.conf"
        conf.write_text(main_config(site_config(upstream.removeprefix("http://"), https_port, http_port,
                                                cert, key, home), home))
        checked = subprocess.run([NGINX, "-t", "-c", str(conf), "-e", str(home / "error.log")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-e", str(home / "error.log")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base = f"https://127.0.0.1:{https_port}"
        try:
            for _ in range(100):
                try:
                    requests.get(base + "/healthz", verify=str(cert), timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.05)
            else:
                raise RuntimeError("nginx did not start: " + (home / "error.log").read_text())
            yield {"base": base, "http": f"http://127.0.0.1:{http_port}", "upstream": upstream, "cert": str(cert),
                   "db": home / "app" / "tavlan.db", "access_log": home / "access.log"}
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def test_a_phone_follows_the_presenter_live_through_nginx_and_its_answer_is_stored(browser, proxied):
    base = proxied["base"]
    meeting = prepare_meeting(proxied["upstream"])  # set-up straight to gunicorn; the meeting runs through nginx

    presenter = browser.new_context(ignore_https_errors=True).new_page()
    presenter.goto(base + "/login")
    presenter.get_by_label("E-postadress").fill(FACILITATOR[0])
    presenter.get_by_label("Lösenord").fill(FACILITATOR[1])
    presenter.get_by_role("button", name="Logga in").last.click()
    presenter.wait_for_url(base + "/portfolio")  # the CSRF check of an HTTPS post passed through the proxy
    cookies = {c["name"]: c for c in presenter.context.cookies()}
    assert cookies["tavlan_session"]["secure"] and cookies["tavlan_session"]["httpOnly"]
    presenter.goto(f"{base}/sessions/{meeting['id']}/present")

    phone = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                ignore_https_errors=True).new_page()
    phone.goto(f"{base}/j/{meeting['code']}")
    expect(phone.get_by_text("Väntar på presentatören")).to_be_visible()
    expect(presenter.locator(".count-participants")).to_have_text("1 deltagare")

    heading = phone.get_by_role("heading", level=1)
    for title in ["Agenda", "Vilka grupper måste vi främst fokusera på?"]:
        started = time.monotonic()
        presenter.keyboard.press("ArrowRight")
        expect(heading).to_have_text(title, timeout=1000)  # the event came through nginx within a second
        print(f"nginx: '{title}' on the phone {1000 * (time.monotonic() - started):.0f} ms after the key")

    phone.get_by_label("Föräldrar").check()
    phone.get_by_role("button", name="Skicka").click()
    expect(phone.get_by_role("status")).to_contain_text("Tack!")
    expect(presenter.locator(".count-answers")).to_have_text("1 svar")
    with sqlite3.connect(proxied["db"]) as db:
        assert db.execute("SELECT count(*) FROM feedback_answer").fetchone() == (1,)

    # The live stream really went through nginx (over HTTP/2): nginx logs it once the phone leaves.
    phone.context.close()
    logged(proxied["access_log"], rf'"GET /live/join:{meeting["id"]} HTTP/2\.0" 200 ')


def test_nginx_passes_a_request_id_hides_metrics_and_sends_http_to_https(proxied):
    response = requests.get(proxied["base"] + "/healthz", verify=proxied["cert"])
    assert response.status_code == 200 and response.json()["status"] == "ok"
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, echoed by the app
    logged(proxied["access_log"], re.escape(request_id))
    assert requests.get(proxied["base"] + "/metrics", verify=proxied["cert"]).status_code == 404
    redirect = requests.get(proxied["http"] + "/j/123456?x=1", allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"] == "https://127.0.0.1/j/123456?x=1"


def test_nginx_sends_its_own_name_as_host_and_never_a_forwarded_host(tmp_path):
    """Whatever Host and X-Forwarded-Host a client sends, the app behind the shipped config sees the
    site's server_name and no forwarded host (the app takes its address from TAVLAN_BASE_URL anyway)."""
    import http.server
    import threading

    seen = []

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    https_port, http_port = free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(site_config(f"127.0.0.1:{upstream.server_port}", https_port, http_port,
                                            cert, key, tmp_path), tmp_path))
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-e", str(tmp_path / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        base = f"https://127.0.0.1:{https_port}"
        for _ in range(100):
            try:
                requests.get(base + "/healthz", verify=str(cert), timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        seen.clear()
        forged = {"Host": "evil.example", "X-Forwarded-Host": "forwarded-evil.example"}
        response = requests.get(base + "/j/123456", headers=forged, verify=str(cert), timeout=5)
        assert response.status_code == 204
        assert len(seen) == 1
        assert seen[0]["host"] == f"127.0.0.1:{https_port}"
        assert "x-forwarded-host" not in seen[0] or seen[0]["x-forwarded-host"] == ""
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        upstream.shutdown()
