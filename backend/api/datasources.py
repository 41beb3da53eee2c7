"""The datasources a file can be sent to, with their columns (for forms and for people)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep
from backend.api.schemas import DatasourceColumn, DatasourceList, DatasourceOut
from backend.pipeline.datasources import list_datasources

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])


@router.get("", response_model=DatasourceList, summary="Datasources and their current schema")
def get_datasources(session: SessionDep) -> DatasourceList:
    return DatasourceList(
        items=[
            DatasourceOut(
                name=ds.name,
                druid_datasource=ds.druid_datasource,
                schema_version=ds.version,
                columns=[
                    DatasourceColumn(name=c.name, type=c.type.value, required=c.required)
                    for c in ds.schema.columns
                ],
            )
            for ds in list_datasources(session)
        ]
    )
