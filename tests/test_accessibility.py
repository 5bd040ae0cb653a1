"""Real Chromium runs axe-core on every kind of page: no violations, no invalid ARIA values."""

from __future__ import annotations

import pytest

from finder.extensions import db

from .conftest import skip_or_fail
from .factories import make_practitioner

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # a developer without the dev requirements
    Axe = None

pytestmark = pytest.mark.browser

ADMIN = ("a11y-admin@example.org", "a11y admin password 1")
PENDING_NAME = "Pending Accessible Person (demo)"
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"]}


def describe(results: list[dict]) -> str:
    """One line per rule and element: the rule, the element, and why axe flagged it."""
    lines = []
    for rule in results:
        for node in rule["nodes"][:6]:
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            why = "; ".join(c["message"] for c in checks if c.get("message"))
            target = " ".join(map(str, node["target"]))
            lines.append(f"  {rule['id']} ({rule.get('impact')}) {target}: {why}")
    return "\n".join(lines)


def audit(page, axe, label: str, report: dict) -> list[str]:
    """Run axe on the page as it stands; return the problems found, record the counts."""
    # Scripts have run and every map is drawn (its tiles are refused: no network).
    page.wait_for_load_state()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-map]')].every(f => window[f.dataset.map])"
    )
    response = axe.run(page, options=AXE_OPTIONS).response
    violations, incomplete = response["violations"], response["incomplete"]
    report[label] = (len(violations), len(incomplete))
    print(f"{label}: {len(violations)} violations, {len(incomplete)} incomplete")
    if incomplete:
        print(describe(incomplete))
    problems = []
    if violations:
        problems.append(f"{label} violations:\n{describe(violations)}")
    bad_aria = [r for r in incomplete if r["id"] == "aria-valid-attr-value"]
    if bad_aria:
        problems.append(f"{label} ARIA values:\n{describe(bad_aria)}")
    return problems


@pytest.mark.slow
@pytest.mark.engine_free
def test_every_kind_of_page_passes_axe(page, live_server, app):
    if Axe is None:
        skip_or_fail("axe-playwright-python is not installed (requirements-dev.txt)")
    base = live_server.url
    result = app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        pending_id = make_practitioner(
            db.session,
            lat=48.2,
            lon=16.37,
            status="pending",
            name=PENDING_NAME,
            country="AT",
            city="Vienna",
        ).id
    nearby = page.request.get(f"{base}/api/v1/search?location=Toronto").json()["nearby"]
    first, second = nearby[0]["id"], nearby[1]["id"]

    axe = Axe()
    report: dict[str, tuple[int, int]] = {}
    problems: list[str] = []

    for label, path in [
        ("home", "/"),
        ("search error", "/search?location=Qwzxv%20Nowhere"),
        ("results", "/search?location=Toronto"),
        ("practitioner", f"/practitioners/{first}"),
        ("submit", "/submit"),
        ("countries", "/countries"),
        ("country", "/countries/CA"),
        ("shortlist", f"/shortlist?id={first}&id={second}"),
        ("empty shortlist", "/shortlist"),
        ("report a problem", f"/practitioners/{first}/report"),
    ]:
        page.goto(base + path)
        problems += audit(page, axe, label, report)

    # A failed submit through the real form: the summary lists the problems and takes focus.
    page.goto(base + "/submit")
    page.get_by_role("button", name="Show on the map").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')")
    assert summary.locator('a[href="#name"]').inner_text().startswith("Name")
    name_input = page.get_by_label("Name", exact=True)
    assert name_input.get_attribute("aria-invalid") == "true"
    for described_by in page.locator("[aria-describedby]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('aria-describedby'))"
    ):
        for ref in described_by.split():
            assert page.locator(f"#{ref}").count() == 1, described_by
    problems += audit(page, axe, "submit after error", report)

    # A report sent through the real form, then its thank-you page.
    page.goto(f"{base}/practitioners/{first}/report")
    page.get_by_label("Wrong phone, email or website").check()
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("heading", name="Thank you — we have your report").wait_for()
    problems += audit(page, axe, "report sent", report)

    page.goto(base + "/admin/login")
    problems += audit(page, axe, "admin login", report)
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=PENDING_NAME).wait_for()
    problems += audit(page, axe, "admin queue", report)
    page.goto(f"{base}/admin/practitioners/{pending_id}")
    problems += audit(page, axe, "admin review", report)
    page.goto(f"{base}/admin/practitioners/{pending_id}/edit")
    problems += audit(page, axe, "admin edit", report)
    page.goto(f"{base}/admin/audit")
    problems += audit(page, axe, "admin audit log", report)
    page.goto(f"{base}/admin/unmet-needs")
    problems += audit(page, axe, "admin unmet needs", report)

    print("axe results (violations, incomplete):", report)
    assert not problems, "\n".join(problems)
