import type { ChunkHealth } from '../../api/models';

/** Geometry of the segments chart: one bar per time chunk (its rows), one dot per chunk (its segment count). */
export interface ChartBar {
  x: number;
  width: number;
  rowsY: number;
  segmentsY: number;
  chunk: ChunkHealth;
}

export const CHART = { width: 720, height: 200, left: 56, right: 40, top: 12, bottom: 28 };

export function chartBars(chunks: ChunkHealth[]): { bars: ChartBar[]; maxRows: number; maxSegments: number } {
  const maxRows = Math.max(1, ...chunks.map((c) => c.rows));
  const maxSegments = Math.max(1, ...chunks.map((c) => c.segments));
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const step = chunks.length > 0 ? plotWidth / chunks.length : plotWidth;
  const bars = chunks.map((chunk, i) => ({
    x: CHART.left + i * step + step * 0.1,
    width: Math.max(1, step * 0.8),
    rowsY: CHART.top + plotHeight * (1 - chunk.rows / maxRows),
    segmentsY: CHART.top + plotHeight * (1 - chunk.segments / maxSegments),
    chunk,
  }));
  return { bars, maxRows, maxSegments };
}

/** The chunk's day (or hour, for finer chunks) as a short label. */
export function chunkLabel(start: string): string {
  return start.endsWith('T00:00:00.000Z') ? start.slice(0, 10) : start.slice(0, 16).replace('T', ' ');
}

/** In words, for screen readers and the line under the chart. */
export function segmentsSummary(chunks: ChunkHealth[]): string {
  const first = chunks[0];
  const last = chunks[chunks.length - 1];
  if (first === undefined || last === undefined) return 'No segments in Druid yet.';
  const segments = chunks.reduce((n, c) => n + c.segments, 0);
  const rows = chunks.reduce((n, c) => n + c.rows, 0);
  const fragmented = chunks.filter((c) => c.verdict === 'fragmented').length;
  const oversized = chunks.filter((c) => c.verdict === 'oversized').length;
  const health = [
    fragmented ? `${fragmented} fragmented` : '',
    oversized ? `${oversized} oversized` : '',
  ].filter(Boolean);
  return (
    `${count(chunks.length, 'time chunk')}, ${count(segments, 'segment')}, ${count(rows, 'row')}, from ${chunkLabel(first.start)} to ${chunkLabel(last.start)}; ` +
    `${health.length ? health.join(', ') : 'all healthy'}.`
  );
}

function count(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
