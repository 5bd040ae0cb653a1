"""Messages of the modules that import no Flask (validation, geocoding), in the reader's words.

Inside a request a message is translated into the page's language by Flask-Babel; in commands
(CSV import, exports) it stays English. Messages use %(name)s placeholders, so translations
can move them; `say` is an extraction keyword (translations/update.sh).
"""

from __future__ import annotations

from flask import has_request_context


def say(message: str, **params) -> str:
    """`message` with its placeholders filled, translated when a page or API call asks."""
    if has_request_context():
        from flask_babel import gettext

        return gettext(message, **params)
    return message % params if params else message
