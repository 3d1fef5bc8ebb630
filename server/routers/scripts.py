"""Call scripts (话术) for the seat: ``GET /api/scripts/{business_type}``.

Files are ``<data_dir>/scripts/<business_type>.json`` (the bank's edits, no release needed) falling back to the
defaults shipped in ``resources/scripts/``; ``default.json`` covers a business without its own file.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, status

from server.deps import SeatDep, ServicesDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["scripts"])

DEFAULT_SCRIPT_DIR = Path(__file__).resolve().parents[2] / "resources" / "scripts"
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


def _valid(data: Any) -> bool:
    steps = data.get("steps") if isinstance(data, dict) else None
    return isinstance(steps, list) and bool(steps) and all(isinstance(s, dict) and s.get("text") for s in steps)


@router.get("/api/scripts/{business_type}")
async def get_script(business_type: str, _auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """The script as ``{business_type, title, version, steps: [{title, text}]}``; 404 when none fits."""
    if not _CODE.match(business_type):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该业务的话术")
    for base in (Path(services.settings.data_dir) / "scripts", DEFAULT_SCRIPT_DIR):
        for name in (business_type, "default"):
            path = base / f"{name}.json"
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                logger.error("script file %s is unreadable; trying the next one", path)
                continue
            if _valid(data):
                data["business_type"] = name
                return data  # type: ignore[no-any-return]
            logger.error("script file %s has no valid steps; trying the next one", path)
    raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该业务的话术")
