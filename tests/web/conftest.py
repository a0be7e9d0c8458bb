"""The browser fixtures (tests/web/browser.py) for every module of tests/web."""

from tests.web.browser import chromium, site, visit

__all__ = ["chromium", "site", "visit"]
