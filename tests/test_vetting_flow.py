"""Real Chromium: a visitor suggests a practitioner, an admin approves it, the public sees it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

ADMIN = ("flow-admin@example.org", "flow admin password 1")
NAME = "Flow Test Practitioner (demo)"


def api_names(page, base):
    response = page.request.get(f"{base}/api/v1/search?lat=-41.2865&lon=174.7762&radius=2")
    return [r["name"] for r in response.json()["nearby"]]


def test_submit_then_approve_then_public(page, live_server, app):
    base = live_server.url
    result = app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    assert result.exit_code == 0, result.output

    # A visitor suggests a practitioner in Wellington.
    page.goto(base + "/submit")
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("Muscle Energy Technique").check()
    page.get_by_label("City", exact=True).fill("Wellington")
    page.get_by_label("Country", exact=True).select_option("NZ")
    page.get_by_label("Your name").fill("A Patient")
    page.get_by_label("Your email").fill("a.patient@example.org")
    page.get_by_label("I am their patient").check()
    page.get_by_role("button", name="Show on the map").click()
    page.wait_for_selector("#pin-map .leaflet-marker-icon")
    assert page.get_by_label("Latitude").input_value().startswith("-41.")
    page.get_by_label("Latitude").fill("-41.28650")
    page.get_by_label("Longitude").fill("174.77620")
    page.get_by_role("button", name="Send suggestion").click()
    reference = page.locator(".reference").inner_text()
    assert reference.startswith("S-")

    # Not public yet: not in search, not on the map, not in the API.
    page.goto(f"{base}/search?lat=-41.2865&lon=174.7762&radius=2")
    assert NAME not in page.locator("#main").inner_text()
    assert NAME not in api_names(page, base)

    # The admin signs in and approves it with the checklist.
    page.goto(base + "/admin/")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=NAME).click()
    for item in (
        "Licence checked against its registry",
        "Evidence of SI-joint experience",
        "Technique claims verified",
        "Contact details verified",
    ):
        page.get_by_label(item).check()
    page.get_by_label("Note").fill("Registry entry and clinic site checked.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=approved")

    # Now public: the list, the map and the API show it.
    page.goto(f"{base}/search?lat=-41.2865&lon=174.7762&radius=2")
    assert NAME in page.locator(".result-card h3").all_inner_texts()
    popups = page.evaluate("""() => {
      const cluster = window[document.querySelector('.map-frame').dataset.cluster];
      return cluster.getLayers().map(l => l.getPopup().getContent().textContent);
    }""")
    assert any(NAME in text for text in popups)
    assert NAME in api_names(page, base)

    # The audit log shows the submission and the approval.
    page.goto(base + "/admin/audit")
    rows = page.locator("tr.audit-event").all_inner_texts()
    assert any(reference in row and "submit" in row for row in rows)
    assert any(ADMIN[0] in row and "approve" in row for row in rows)
