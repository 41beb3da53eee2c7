"""What a replace upload is about to remove: before its task is submitted, how many rows each replaced period holds
now and which jobs put them there, recorded in its events (the job page shows them), so that nobody replaces a
month by accident without it being written down what was there."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from backend.druid.period_rows import rows_by_period_and_job
from backend.druid.sql import BrokerSqlClient
from backend.errors import IngestError
from backend.pipeline.datasources import RegisteredDatasource
from backend.pipeline.lineage import LINEAGE_COLUMN

# Enough to say what was there; a replace over years of hourly periods is summed, not listed.
_MAX_PAIRS = 2000
_SHOWN_PERIODS = 100
_SHOWN_JOBS = 20


def replace_impact(broker: BrokerSqlClient, registered: RegisteredDatasource, intervals: list[str]
                   ) -> tuple[str, dict[str, Any]]:
    """The event (message, details) describing the rows the replace removes."""
    pairs = []
    try:
        for interval in intervals:
            pairs += rows_by_period_and_job(broker, registered.druid_datasource, interval, registered.schema.rollup,
                                            LINEAGE_COLUMN, registered.schema.granularity.segment.value, _MAX_PAIRS)
    except IngestError:
        pairs = []  # the datasource has no segments yet (the broker does not know it): nothing is replaced
    periods: dict[str, dict[str, int]] = defaultdict(dict)
    for pair in pairs:
        periods[pair.period][pair.job or "(no job)"] = pair.rows
    total = sum(pair.rows for pair in pairs)
    jobs = {pair.job for pair in pairs if pair.job}
    where = ", ".join(intervals)
    if not total:
        return f"Replacing {where}: Druid holds no rows there now", {"intervals": intervals, "rows": 0, "periods": []}
    message = (f"Replacing {where}: {len(periods)} period{'s' if len(periods) != 1 else ''} hold {total:,} rows now, "
               f"from {len(jobs)} job{'s' if len(jobs) != 1 else ''}; they are replaced by this upload's rows")
    shown = [{"period": period, "rows": sum(by_job.values()),
              "jobs": dict(sorted(by_job.items(), key=lambda item: -item[1])[:_SHOWN_JOBS])}
             for period, by_job in sorted(periods.items())[:_SHOWN_PERIODS]]
    return message, {"intervals": intervals, "rows": total, "jobs": sorted(jobs)[:_SHOWN_JOBS],
                     "periods": shown, "truncated": len(pairs) >= _MAX_PAIRS or len(periods) > _SHOWN_PERIODS}
