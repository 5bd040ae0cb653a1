#!/bin/sh
# Refresh the translation catalogs after strings change: extract -> update -> compile.
#   translations/update.sh            (from anywhere; uses the repo's .venv if present)
# New or changed strings arrive untranslated (or as "fuzzy" guesses). Neither is compiled,
# so they show in English until someone translates them in
# translations/<lang>/LC_MESSAGES/messages.po, removes any "#, fuzzy" line, and reruns this.
# Commit the .po and .mo files together; `--statistics` below shows what is still missing.
set -eu
cd "$(dirname "$0")/.."

BIN=.venv/bin
[ -x "$BIN/pybabel" ] || BIN=$(dirname "$(command -v pybabel)")
LANGS="ko es ja zh de fr pt ar tr"
POT=translations/messages.pot

"$BIN/pybabel" -q extract -F babel.cfg -k _l -k lazy_gettext -k say -o "$POT" .

# Technique names and descriptions live in data/techniques.json, which no extractor reads.
# Add them to the template so their translations are kept; they only show translated where
# the code passes them through gettext (e.g. {{ _(t.name) }}).
"$BIN/python" - "$POT" <<'EOF'
import json, sys
from babel.messages.pofile import read_po, write_po

pot, source = sys.argv[1], "data/techniques.json"
with open(pot, "rb") as f:
    catalog = read_po(f)
lines = open(source, encoding="utf-8").read().splitlines()
for item in json.load(open(source, encoding="utf-8")):
    line = next(i for i, text in enumerate(lines, 1) if f'"{item["slug"]}"' in text)
    for key in ("name", "short", "description", "noun", "plural"):
        if item.get(key):
            catalog.add(item[key], locations=[(source, line)],
                        auto_comments=[f"Technique {key} ({item['slug']})"])
with open(pot, "wb") as f:
    write_po(f, catalog)
EOF

for lang in $LANGS; do
    "$BIN/pybabel" -q update -i "$POT" -d translations -l "$lang" --init-missing
done
"$BIN/pybabel" compile -d translations --statistics
