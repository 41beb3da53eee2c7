"""The limits a reader works within; the caller fills them from backend.settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    """How many rows per batch, and how big a spreadsheet may grow once inflated before it is refused."""

    batch_rows: int
    max_spreadsheet_cells: int
    max_spreadsheet_inflated_bytes: int
    max_spreadsheet_ratio: int

    def __post_init__(self) -> None:
        for name in ("batch_rows", "max_spreadsheet_cells", "max_spreadsheet_inflated_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"ReadLimits.{name} must be >= 1")
        if self.max_spreadsheet_ratio < 1:
            raise ValueError("ReadLimits.max_spreadsheet_ratio must be >= 1")
