import { describe, expect, it } from 'vitest';
import { druidTasksText, formatOldestWait, stageShares, totalJobs, type QueueProgress } from './queue';

const QUEUE: QueueProgress = {
  waiting_validation: { jobs: 6, oldest_wait_s: 12.4 },
  validating: { jobs: 2, oldest_wait_s: 0.4 },
  waiting_druid: { jobs: 0, oldest_wait_s: null },
  in_druid: { jobs: 12, druid_tasks: 1, oldest_wait_s: 185 },
};

describe('formatOldestWait', () => {
  it('says the oldest wait in words, nothing for an empty stage', () => {
    expect(formatOldestWait(12.4)).toBe('oldest 12 s');
    expect(formatOldestWait(59.4)).toBe('oldest 59 s');
    expect(formatOldestWait(0.3)).toBe('oldest under 1 s');
    expect(formatOldestWait(185)).toBe('oldest 3 min 5 s');
    expect(formatOldestWait(3720)).toBe('oldest 1 h 2 min');
    expect(formatOldestWait(null)).toBe('');
  });
});

describe('stageShares', () => {
  it('gives each stage its share of the bar in percent', () => {
    expect(totalJobs(QUEUE)).toBe(20);
    expect(stageShares(QUEUE)).toEqual({ waiting_validation: 30, validating: 10, waiting_druid: 0, in_druid: 60 });
  });

  it('is all zero for an empty queue', () => {
    const empty: QueueProgress = {
      waiting_validation: { jobs: 0, oldest_wait_s: null },
      validating: { jobs: 0, oldest_wait_s: null },
      waiting_druid: { jobs: 0, oldest_wait_s: null },
      in_druid: { jobs: 0, druid_tasks: 0, oldest_wait_s: null },
    };
    expect(stageShares(empty)).toEqual({ waiting_validation: 0, validating: 0, waiting_druid: 0, in_druid: 0 });
  });
});

describe('druidTasksText', () => {
  it('counts the jobs in Druid and the tasks they share', () => {
    expect(druidTasksText(QUEUE)).toBe('12 jobs in 1 Druid task');
    expect(druidTasksText({ ...QUEUE, in_druid: { jobs: 1, druid_tasks: 1, oldest_wait_s: 3 } })).toBe(
      '1 job in 1 Druid task',
    );
  });
});
