"""Generated import-csv files: many practitioners with coordinates, for tests and benchmarks."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from finder.csv_files import CSV_COLUMNS

TECHNIQUES = ("chiropractic", "physical-therapy", "muscle-energy-technique", "si-joint-fusion")
CENTRE = (47.9077, 106.8832)  # Ulaanbaatar: every generated practice is within ~40 km of it
NAME_PREFIX = "Generated Practitioner"


def generated_row(number: int, prefix: str = "gen", rng: random.Random | None = None) -> dict:
    """One practitioner's row: a ref made of `prefix` and `number`, a place near CENTRE."""
    rng = rng or random.Random(number)
    return {
        "ref": f"{prefix}-{number:06d}",
        "name": f"{NAME_PREFIX} {prefix} {number} (demo)",
        "credentials": "PT",
        "clinic": f"Clinic {number % 97}",
        "techniques": ";".join(rng.sample(TECHNIQUES, rng.randint(1, 2))),
        "languages": "mn;en",
        "email": f"{prefix}.{number}@example.org",
        "website": f"https://example.org/{prefix}/{number}",
        "city": "Ulaanbaatar",
        "country": "MN",
        "latitude": f"{CENTRE[0] + rng.uniform(-0.25, 0.25):.5f}",
        "longitude": f"{CENTRE[1] + rng.uniform(-0.35, 0.35):.5f}",
        "demo": "true",
    }


def write_import_file(path: Path, rows: int, prefix: str = "gen", seed: int = 7) -> Path:
    """A CSV of `rows` practitioners, one location each, in the contract's columns."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, restval="")
        writer.writeheader()
        for number in range(rows):
            writer.writerow(generated_row(number, prefix, rng))
    return path
