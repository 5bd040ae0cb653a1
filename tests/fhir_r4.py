"""FHIR R4 (4.0.1) itself as the judge of what the API says: fhir.resources 6.4.0's R4 models,
in the venv of their own that `make test` builds (.venv-fhir-r4: they need pydantic 1, the
site pydantic 2). Each resource is parsed by its model there; what fails comes back."""

from __future__ import annotations

import json
import subprocess

from .conftest import ROOT, skip_or_fail

VALIDATOR = ROOT / ".venv-fhir-r4" / "bin" / "python"
CHECK = """
import json, sys
import fhir.resources
from fhir.resources import construct_fhir_element
assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__
errors = []
for number, line in enumerate(sys.stdin):
    resource = json.loads(line)
    try:
        construct_fhir_element(resource["resourceType"], resource)
    except Exception as error:
        errors.append(f"resource {number} ({resource.get('resourceType')}): {error}")
print(json.dumps(errors))
"""


def r4_errors(resources: list[dict]) -> list[str]:
    """What FHIR R4 4.0.1 finds wrong in each resource (a Bundle checks its entries too)."""
    if not VALIDATOR.exists():
        skip_or_fail(f"no FHIR R4 validator at {VALIDATOR} (make .venv-fhir-r4/.installed)")
    lines = "".join(json.dumps(resource) + "\n" for resource in resources)
    done = subprocess.run(
        [str(VALIDATOR), "-c", CHECK], input=lines, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def assert_r4(*resources: dict) -> None:
    errors = r4_errors(list(resources))
    assert not errors, "\n".join(errors)
