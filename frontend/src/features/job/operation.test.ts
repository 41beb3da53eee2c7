import { describe, expect, it } from 'vitest';
import { makeJob } from '../../test/utils';
import { operationFacts } from './operation';

describe('operationFacts', () => {
  it('says nothing for an upload', () => {
    expect(operationFacts(makeJob())).toEqual([]);
  });

  it('shows a compaction as segments and rows before and after', () => {
    const job = makeJob({
      kind: 'compaction',
      operation: {
        interval: '2018-03-07T00:00:00.000Z/2018-03-08T00:00:00.000Z',
        target_rows_per_segment: null,
        segments_before: 20,
        segments_after: 1,
        rows_before: 1000,
        rows_after: 1000,
      },
    });
    expect(operationFacts(job)).toEqual([
      { label: 'Interval', value: '2018-03-07T00:00:00.000Z → 2018-03-08T00:00:00.000Z' },
      { label: 'Segments', value: '20 → 1' },
      { label: 'Rows', value: '1,000 → 1,000' },
      { label: 'Target rows per segment', value: 'as the schema declares' },
    ]);
  });

  it('shows a retraction still running with its figures before only', () => {
    const job = makeJob({
      kind: 'retraction',
      state: 'indexing',
      operation: { interval: '2017-09-10T00:00:00Z/2017-09-12T00:00:00Z', target_rows_before: 200, other_rows_before: 400 },
    });
    expect(operationFacts(job)).toEqual([
      { label: 'Interval', value: '2017-09-10T00:00:00Z → 2017-09-12T00:00:00Z' },
      { label: 'Rows of the retracted job', value: '200 → …' },
      { label: 'Other rows (kept)', value: '400 → …' },
    ]);
  });
});
