import { describe, expect, it } from 'vitest';
import type { ChunkHealth } from '../../api/models';
import { CHART, chartBars, chunkLabel, segmentsSummary } from './segmentsChart';

const chunk = (start: string, segments: number, rows: number, verdict = 'ok'): ChunkHealth => ({
  start,
  end: start,
  segments,
  rows,
  bytes: rows,
  average_rows_per_segment: rows / segments,
  shard_types: ['numbered'],
  verdict,
});

describe('the segments chart', () => {
  it('scales rows and segments each to their own maximum', () => {
    const { bars, maxRows, maxSegments } = chartBars([
      chunk('2025-01-01T00:00:00.000Z', 1, 500),
      chunk('2025-01-02T00:00:00.000Z', 4, 1_000, 'fragmented'),
    ]);
    expect([maxRows, maxSegments]).toEqual([1_000, 4]);
    const bottom = CHART.height - CHART.bottom;
    expect(bars[1]?.rowsY).toBe(CHART.top); // the fullest chunk reaches the top
    expect(bars[0]?.rowsY).toBeCloseTo((CHART.top + bottom) / 2); // half the rows, half the height
    expect(bars[0]?.segmentsY).toBeCloseTo(bottom - (bottom - CHART.top) / 4);
    expect(bars[0]!.x + bars[0]!.width).toBeLessThan(bars[1]!.x); // bars do not overlap
  });

  it('labels day chunks by their day and finer ones by their hour', () => {
    expect(chunkLabel('2025-01-02T00:00:00.000Z')).toBe('2025-01-02');
    expect(chunkLabel('2025-01-02T13:00:00.000Z')).toBe('2025-01-02 13:00');
  });

  it('says it in words', () => {
    expect(segmentsSummary([])).toBe('No segments in Druid yet.');
    expect(
      segmentsSummary([chunk('2025-01-01T00:00:00.000Z', 1, 5), chunk('2025-01-03T00:00:00.000Z', 3, 30, 'fragmented')]),
    ).toBe('2 time chunks, 4 segments, 35 rows, from 2025-01-01 to 2025-01-03; 1 fragmented.');
  });
});
