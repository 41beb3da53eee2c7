"""The column that ties every row in Druid to the job that brought it, so the receipt can count exactly it."""

LINEAGE_COLUMN = "ingest_job_id"
