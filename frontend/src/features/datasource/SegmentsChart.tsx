import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { ChunkHealth } from '../../api/models';
import { formatBytes, formatCount } from '../../lib/format';
import { CompactNow } from './CompactNow';
import { CHART, chartBars, chunkLabel, segmentsSummary } from './segmentsChart';

const FRAGMENTED_SHOWN = 10;

/** The datasource's segments in Druid per time chunk: rows as bars (coloured by verdict), segment count as dots. */
export function Segments({ name, mayCompact = false }: { name: string; mayCompact?: boolean }) {
  const segments = useQuery({
    queryKey: ['segments', name],
    queryFn: ({ signal }) => api.segments(name, signal),
    refetchInterval: 60_000,
  });
  if (segments.isPending) return <p role="status">Asking Druid for the segments…</p>;
  if (segments.isError) {
    return (
      <div className="notice notice-bad" role="alert">
        Could not read the segments from Druid: {segments.error.message}
      </div>
    );
  }
  const { chunks, totals, target_rows_per_segment: target } = segments.data;
  const fragmented = chunks.filter((c) => c.verdict === 'fragmented');
  return (
    <>
      <p className="muted small">
        {segmentsSummary(chunks)} {totals.chunks > 0 && `${formatBytes(totals.bytes)} in all.`} A chunk is fragmented
        when compaction would leave at least two fewer segments; Druid aims at about {formatCount(target)} rows per
        segment.
      </p>
      {chunks.length > 0 && <SegmentsChart chunks={chunks} />}
      {mayCompact && fragmented.length > 0 && <CompactNow name={name} fragmented={fragmented.length} />}
      {fragmented.length > 0 && (
        <details>
          <summary>
            Fragmented chunks ({fragmented.length}
            {fragmented.length > FRAGMENTED_SHOWN ? `, the ${FRAGMENTED_SHOWN} with most segments` : ''})
          </summary>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Fragmented time chunks of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Chunk</th>
                  <th scope="col" className="num">
                    Segments
                  </th>
                  <th scope="col" className="num">
                    Rows
                  </th>
                  <th scope="col" className="num">
                    Rows per segment
                  </th>
                  <th scope="col">Shards</th>
                </tr>
              </thead>
              <tbody>
                {[...fragmented]
                  .sort((a, b) => b.segments - a.segments)
                  .slice(0, FRAGMENTED_SHOWN)
                  .map((c) => (
                    <tr key={c.start}>
                      <td>{chunkLabel(c.start)}</td>
                      <td className="num">{formatCount(c.segments)}</td>
                      <td className="num">{formatCount(c.rows)}</td>
                      <td className="num">{formatCount(Math.round(c.average_rows_per_segment))}</td>
                      <td>{c.shard_types.join(', ')}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </>
  );
}

export function SegmentsChart({ chunks }: { chunks: ChunkHealth[] }) {
  const { bars, maxRows, maxSegments } = chartBars(chunks);
  const bottom = CHART.height - CHART.bottom;
  const labelled = [bars[0], bars[Math.floor(bars.length / 2)], bars[bars.length - 1]].filter(
    (bar, i, all) => bar !== undefined && all.indexOf(bar) === i,
  );
  return (
    <figure className="segments-chart">
      <svg viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label={segmentsSummary(chunks)}>
        <line x1={CHART.left} x2={CHART.width - CHART.right} y1={bottom} y2={bottom} className="axis" />
        <text x={CHART.left - 6} y={CHART.top + 8} textAnchor="end" className="tick">
          {formatCount(maxRows)}
        </text>
        <text x={CHART.left - 6} y={bottom} textAnchor="end" className="tick">
          0
        </text>
        <text x={CHART.width - CHART.right + 6} y={CHART.top + 8} className="tick tick-segments">
          {formatCount(maxSegments)}
        </text>
        {bars.map((bar) => (
          <rect
            key={bar.chunk.start}
            x={bar.x}
            y={bar.rowsY}
            width={bar.width}
            height={Math.max(0, bottom - bar.rowsY)}
            className={`bar bar-${bar.chunk.verdict}`}
            data-verdict={bar.chunk.verdict}
          >
            <title>
              {`${chunkLabel(bar.chunk.start)}: ${formatCount(bar.chunk.rows)} rows in ${bar.chunk.segments} segment(s), ${bar.chunk.verdict}`}
            </title>
          </rect>
        ))}
        <polyline
          className="segments-line"
          points={bars.map((bar) => `${bar.x + bar.width / 2},${bar.segmentsY}`).join(' ')}
        />
        {bars.map((bar) => (
          <circle key={bar.chunk.start} cx={bar.x + bar.width / 2} cy={bar.segmentsY} r={2.5} className="segments-dot" />
        ))}
        {labelled.map(
          (bar) =>
            bar && (
              <text key={bar.chunk.start} x={bar.x + bar.width / 2} y={CHART.height - 8} textAnchor="middle" className="tick">
                {chunkLabel(bar.chunk.start)}
              </text>
            ),
        )}
      </svg>
      <figcaption className="legend small">
        <span className="swatch bar-ok" /> rows, healthy chunk <span className="swatch bar-fragmented" /> rows,
        fragmented chunk <span className="swatch bar-oversized" /> rows, oversized chunk{' '}
        <span className="swatch swatch-dot" /> segments (right scale)
      </figcaption>
    </figure>
  );
}
