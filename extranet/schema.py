"""JSON Schemas of the YAML files, generated from the model so they can never disagree with it.

Editors with the YAML language server read them through the `# yaml-language-server: $schema=…`
line at the top of each file, and validate and complete as the maintainer types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from .model import CustomersFile, Release

SCHEMAS = {"release.schema.json": Release, "customers.schema.json": CustomersFile}
DEFAULT_DIR = Path(__file__).parent / "schemas"


def schema(model: type) -> dict[str, Any]:
    document = TypeAdapter(model).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def render(model: type) -> str:
    return json.dumps(schema(model), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(directory: Path | None = None, *, check: bool = False) -> list[Path]:
    """Write every schema; with `check`, write nothing and return the files that differ."""
    directory = directory or DEFAULT_DIR
    stale = []
    for name, model in SCHEMAS.items():
        path = directory / name
        text = render(model)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not check:
                directory.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return stale if check else []
