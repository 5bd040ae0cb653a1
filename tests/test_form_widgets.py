"""The kept (cached) widgets write exactly what WTForms' own widgets write, in every state."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import widgets

from finder.forms import KeptChecks, KeptOptions
from finder.i18n import LANGUAGES
from finder.public.views import submission_form

STATES = {
    "blank": {},
    "ticked": {"languages": ["ko", "en"], "techniques": ["chiropractic"], "country": "KR"},
    "unlisted code kept": {"languages": ["ko; zz"], "country": "JP"},
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("state", sorted(STATES))
def test_kept_widgets_write_what_wtforms_writes(app, lang, state):
    with app.test_request_context(f"/submit?lang={lang}", method="POST"):
        form = submission_form()
        form.process(MultiDict(STATES[state]))
        for name in ("languages", "techniques", "patterns"):
            field = form[name]
            own = widgets.ListWidget(prefix_label=False)(field, class_="checks")
            assert isinstance(field.widget, KeptChecks)
            for _ in range(2):  # made, then taken from what was kept
                assert field.widget(field, class_="checks") == own, (name, lang, state)
        field = form["country"]
        assert isinstance(field.widget, KeptOptions)
        own = widgets.Select()(field, required=True)
        for _ in range(2):
            assert field.widget(field, required=True) == own, lang
        ticked = re.findall(r'<input checked [^>]*value="([^"]+)"', own_languages(form))
        assert sorted(ticked) == sorted(TICKED[state]), (lang, state, ticked)


TICKED = {"blank": [], "ticked": ["en", "ko"], "unlisted code kept": ["ko", "zz"]}


def own_languages(form) -> str:
    return str(form["languages"].widget(form["languages"]))
