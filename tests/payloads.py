"""Hostile text for the security tests: each payload and what must never appear if it ran.

Every `forbidden` string is what the payload would turn into if a template engine, a
shell or a script evaluated it. None of them occurs in any payload (nor in its HTML- or
JSON-escaped form), so finding one on a page means something evaluated the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from config import TestConfig


@dataclass(frozen=True)
class Payload:
    """A hostile string, why it is here, and the evaluated forms that must not appear."""

    text: str
    why: str
    forbidden: tuple[str, ...] = field(default_factory=tuple)


# Shown nowhere on the site unless the configuration or the environment leaks.
ALWAYS_FORBIDDEN = (TestConfig.SECRET_KEY, "SQLALCHEMY_DATABASE_URI", "wsgi.version", "uid=")

LONG = "Dr Long {{ 99991*3 }} " + "Ünïcødé-Straße 仙腸関節 <b>bold</b> " + "a" * 132 + " end"

# Aimed at the server: template engines, format strings and SQL. A browser sees plain text;
# what matters is that the server never evaluates them, checked on every page over HTTP.
SERVER_PAYLOADS: list[Payload] = [
    # Template syntax: Jinja, Mako/JS template literals, Ruby, ERB, Thymeleaf, Razor.
    Payload("{{ 1337*1009 }}", "Jinja expression", ("1349033",)),
    Payload("{{7*191919}}", "Jinja expression without spaces", ("1343433",)),
    Payload("{% print 4099*4099 %}", "Jinja statement", ("16801801",)),
    Payload("${7*7777777}", "JS template literal / Mako / EL", ("54444439",)),
    Payload("#{7*8888887}", "Ruby / Pug interpolation", ("62222209",)),
    Payload("<%= 7*7777771 %>", "ERB", ("54444397",)),
    Payload("[[${7*7777773}]]", "Thymeleaf inline", ("54444411",)),
    Payload("@(6007*6007)", "Razor", ("36084049",)),
    Payload(
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "Jinja sandbox escape running a command",
        ("uid=", "gid="),
    ),
    Payload(
        "{{ lipsum.__globals__.os.popen('echo PWN$((6001*7))ED').read() }}",
        "command whose output is computed by the shell",
        ("PWN42007ED",),
    ),
    Payload("{{ config }}", "Flask config leak", ("SECRET_KEY", TestConfig.SECRET_KEY)),
    Payload("{{ config.items() }}", "Flask config items", ("SECRET_KEY", "dict_items")),
    Payload("{{ request.environ }}", "WSGI environ leak", ("wsgi.version", "REMOTE_ADDR")),
    Payload("{{ self.__init__.__globals__.__builtins__ }}", "builtins leak", ("built-in",)),
    Payload("{{ ''.__class__.__mro__ }}", "class walk", ("class 'object'",)),
    Payload("{{ 3*'Zq' }}", "string repetition", ("ZqZqZq",)),
    Payload("{{ range(77771,77773)|list }}", "filter call", ("77771, 77772",)),
    Payload("{{ '%x'|format(3054601933) }}", "format filter", (format(3054601933, "x"),)),
    Payload("{%raw%}{{ 5 }}{%endraw%} raw block", "raw block vanishes if rendered"),
    Payload("{# hidden #}comment shown", "comment vanishes if rendered"),
    Payload("{{", "unbalanced opener (a TemplateSyntaxError would be a 500)"),
    Payload("{% endfor %}", "stray end tag"),
    # Format strings and SQL.
    Payload("{0.__class__} %s %(place)s {name!r}", "Python format strings"),
    Payload("'; DROP TABLE practitioner;--", "SQL injection"),
    Payload('" OR 1=1 --', "SQL tautology"),
]

# Aimed at the browser: markup, scripts, JavaScript strings, URLs and Unicode that must show
# as typed, checked in real Chromium wherever the site shows them.
BROWSER_PAYLOADS: list[Payload] = [
    # HTML and attribute breakers.
    Payload('"><img src=x onerror=alert(1)>', "double-quoted attribute breaker"),
    Payload("'><svg onload=alert(2)>", "single-quoted attribute breaker"),
    Payload("</script><script>alert(3)</script>", "script block breaker"),
    Payload("</textarea><script>alert(4)</script>", "textarea breaker"),
    Payload("</title><script>alert(5)</script>", "title breaker"),
    Payload("--><svg/onload=alert(6)><!--", "comment breaker"),
    Payload("<details open ontoggle=alert(7)>", "event handler without a click"),
    Payload('<iframe srcdoc="<script>parent.alert(8)</script>">', "iframe srcdoc"),
    Payload('<a href="javascript:alert(9)">click me</a>', "javascript: link"),
    Payload("javascript:alert(10)", "javascript: URL as text"),
    Payload("<style>body{display:none}</style>hidden?", "style injection"),
    Payload("&lt;b&gt;entity&lt;/b&gt; &amp;amp;", "entities must show as typed"),
    Payload("%3Cscript%3Ealert(11)%3C/script%3E", "URL-encoded script"),
    # JavaScript string and template-literal breakers.
    Payload("`;alert(12);`", "backtick"),
    Payload("${alert(13)}", "template-literal substitution"),
    Payload("'-alert(14)-'", "single-quoted JS string breaker"),
    Payload('\\";alert(15);//', "escaped double-quote JS string breaker"),
    Payload("\\x3cscript\\x3ealert(16)\\x3c/script\\x3e", "JS hex escapes as text"),
    Payload('{"a":"</script>","b":1}', "JSON with a script end tag"),
    Payload("line\u2028sep\u2029end", "JS line terminators U+2028/U+2029"),
    Payload("C:\\new\\table \\u0041 \\\\", "backslashes"),
    # Unicode.
    Payload("\u202egnp.exe Dr Evil", "right-to-left override U+202E"),
    Payload("\u2066isolated\u2069 and \u2067rtl\u2069 text", "direction isolates U+2066..2069"),
    Payload("Dr\u200b Zero\u200cWidth\u200dJoin\ufeffBOM", "zero-width characters"),
    Payload("Dr 👩\u200d⚕️ Spine 🦴 🇮🇸", "emoji with ZWJ and flags"),
    Payload("서울 척추 클리닉 — 東京 仙腸関節 — 北京", "CJK"),
    Payload("عيادة المفصل العجزي الحرقفي", "Arabic"),
    Payload("Zalgo Z\u0337\u0322\u031ba\u0334l\u0336g\u0338o\u0335", "combining marks"),
    Payload(LONG, "long text (under the 200-character limit)", ("299973",)),
]

PAYLOADS: list[Payload] = SERVER_PAYLOADS + BROWSER_PAYLOADS

# Never valid in a form field or a query: refused with a clear 4xx, or cleaned, never a 500.
NUL = "Dr\x00Null"
TOO_LONG = "{{ 1337*1009 }}" + "x" * 250
CRLF = "x\r\nSet-Cookie: injected=1"

# JavaScript URLs offered as links: refused by the form's URL fields.
JAVASCRIPT_URLS = ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)")


def every_forbidden(payload: Payload) -> tuple[str, ...]:
    return payload.forbidden + ALWAYS_FORBIDDEN


def normalised(text: str) -> str:
    """Whitespace collapsed the way a browser shows text."""
    return " ".join(text.split())


def escaped_forms(text: str) -> list[str]:
    """How a payload may legitimately appear in a page's source."""
    return [text, escape(text), escape(text, quote=False), json.dumps(text), json.dumps(text)[1:-1]]


def check_corpus() -> None:
    """No forbidden string is part of any payload, as typed or escaped."""
    for payload in PAYLOADS + [Payload(TOO_LONG, ""), Payload(NUL, "")]:
        for form in escaped_forms(payload.text):
            for other in PAYLOADS:
                for bad in every_forbidden(other):
                    assert bad not in form, (bad, payload.text)
