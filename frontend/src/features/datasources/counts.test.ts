import { describe, expect, it } from 'vitest';
import { jobCountsText } from './counts';

describe('jobCountsText', () => {
  it('counts by state, in the order of a job’s life', () => {
    expect(jobCountsText({ total: 12, by_state: { rejected: 2, succeeded: 9, indexing: 1 } })).toBe(
      '12 jobs: 1 indexing, 9 succeeded, 2 rejected',
    );
    expect(jobCountsText({ total: 1, by_state: { succeeded: 1 } })).toBe('1 job: 1 succeeded');
    expect(jobCountsText({ total: 0, by_state: {} })).toBe('no jobs yet');
  });

  it('puts a state this page does not know last, as the server names it', () => {
    expect(jobCountsText({ total: 3, by_state: { archived: 1, failed: 2 } })).toBe('3 jobs: 2 failed, 1 archived');
  });
});
