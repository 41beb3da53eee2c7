import { describe, expect, it } from 'vitest';
import { makeJob } from '../../test/utils';
import { druidCard } from './druid';

const noTask = { druid_task_id: null, druid_row_stats: null, druid_rows: null };

describe('druidCard', () => {
  it('a rejected job says nothing was sent to Druid, and promises no row stats', () => {
    const card = druidCard(makeJob({ state: 'rejected', code: 'validation_failed', ...noTask }));
    expect(card).toEqual({
      sent: false,
      note: 'Nothing was sent to Druid: the data was rejected, so no Druid task was started.',
    });
    expect(card.note).not.toMatch(/appear/);
  });

  it('failed or cancelled before a task: nothing was sent', () => {
    expect(druidCard(makeJob({ state: 'failed', ...noTask })).note).toMatch(/^Nothing was sent to Druid: the job failed/);
    expect(druidCard(makeJob({ state: 'cancelled', ...noTask })).note).toMatch(/cancelled before a Druid task/);
  });

  it('a running job without a task yet says when one starts', () => {
    expect(druidCard(makeJob({ state: 'validating', finished_at: null, ...noTask }))).toEqual({
      sent: false,
      note: 'A Druid task starts once the rows are validated and staged.',
    });
  });

  it('a task without row stats: they appear while it runs; once ended, it reported none', () => {
    const indexing = makeJob({ state: 'indexing', finished_at: null, druid_row_stats: null, druid_rows: null });
    expect(druidCard(indexing)).toEqual({ sent: true, note: 'Row stats appear when Druid’s task reports them.' });
    const failed = makeJob({ state: 'failed', druid_row_stats: {}, druid_rows: null });
    expect(druidCard(failed)).toEqual({ sent: true, note: 'Druid’s task reported no row stats.' });
  });

  it('row stats speak for themselves', () => {
    expect(druidCard(makeJob())).toEqual({ sent: true, note: null });
  });
});
