"""What the browser tests share: Debian's Chromium driven by Playwright, signing in as a
person does, and the checks run on every page a journey visits."""

import os
import shutil
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_WEIGHT_LIMIT = 60 * 1024  # bytes transferred by one page load, cache off
NARROW = {"width": 360, "height": 740}
SERIOUS = {"serious", "critical"}


def skip_without_chromium() -> None:
    if os.environ.get("CASEBOOK_REQUIRE_BROWSER") != "1" and not os.path.exists(CHROMIUM):
        pytest.skip(
            "Chromium is not installed (CI installs it and requires it)", allow_module_level=True
        )


def authenticator(user):
    """A confirmed authenticator device for `user` (as if they had enrolled)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="browser test", confirmed=True)


def current_code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


class InBrowser:
    """Mixin for a live-server test case: one Chromium for the class (self.browser)."""

    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; the ORM calls in the
        # test itself are synchronous and safe.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page, base_url: str, username: str, password: str, code: str) -> None:
    """The real sign-in: password, then the second step (a TOTP or backup code)."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/mfa/verify/**")
    page.locator("input[name=token]").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


class PageChecks:
    """Watches one page through the Chrome DevTools protocol, with the cache off, and
    checks each page it is asked to: axe-core finds no serious or critical violation,
    nothing runs off a 360 px screen, the load transferred under PAGE_WEIGHT_LIMIT
    bytes, and nothing was requested from another origin."""

    def __init__(self, context, origin: str):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.origin = origin
        self.page = context.new_page()
        self.page.set_viewport_size(NARROW)
        self.load_bytes = 0
        self.foreign: list[str] = []
        self.problems: list[str] = []
        self.checked: list[str] = []
        cdp = context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.loadingFinished", self._finished)
        self.cdp = cdp

    def _request(self, event) -> None:
        if event.get("type") == "Document":
            self.load_bytes = 0  # a new page load starts
        url = event["request"]["url"]
        if not (url.startswith(self.origin) or url.startswith("data:")):
            self.foreign.append(url)

    def _finished(self, event) -> None:
        self.load_bytes += int(event.get("encodedDataLength", 0))

    def violations(self) -> list[str]:
        results = self.axe.run(self.page)
        return [
            f"{v['id']} ({v['impact']})"
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]

    def check(self) -> None:
        page = self.page
        page.wait_for_load_state("networkidle")
        where = urlparse(page.url).path
        self.checked.append(where)
        for violation in self.violations():
            self.problems.append(f"{where}: axe {violation}")
        if page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        ):
            self.problems.append(f"{where}: wider than 360 px")
        if self.load_bytes > PAGE_WEIGHT_LIMIT:
            self.problems.append(f"{where}: {self.load_bytes} bytes transferred")
        if self.foreign:
            self.problems.append(f"{where}: third-party requests {self.foreign}")
            self.foreign = []
