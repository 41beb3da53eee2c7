import { describe, expect, it } from 'vitest';
import { event } from '../../test/utils';
import { timelineSteps, totalDurationMs } from './timeline';

const events = [
  event('queued', '2026-01-10T10:00:00.000Z'),
  event('validating', '2026-01-10T10:00:00.250Z'),
  event('staging', '2026-01-10T10:00:04.250Z'),
  event('submitting', '2026-01-10T10:00:05.000Z'),
  event('indexing', '2026-01-10T10:00:05.500Z'),
  event('succeeded', '2026-01-10T10:01:05.500Z'),
];

describe('timelineSteps', () => {
  it('each step lasts until the next event; the last event of a finished job is the end', () => {
    const steps = timelineSteps(events, true, Date.parse('2026-01-10T11:00:00Z'));
    expect(steps.map((s) => [s.event.state, s.durationMs, s.ongoing])).toEqual([
      ['queued', 250, false],
      ['validating', 4000, false],
      ['staging', 750, false],
      ['submitting', 500, false],
      ['indexing', 60_000, false],
      ['succeeded', null, false],
    ]);
  });

  it('the current step of a running job lasts until now', () => {
    const running = events.slice(0, 2);
    const steps = timelineSteps(running, false, Date.parse('2026-01-10T10:00:03.250Z'));
    expect(steps[1]).toMatchObject({ durationMs: 3000, ongoing: true });
  });

  it('sorts events by time, whatever order they arrive in', () => {
    const steps = timelineSteps([...events].reverse(), true, 0);
    expect(steps.map((s) => s.event.state)).toEqual([
      'queued',
      'validating',
      'staging',
      'submitting',
      'indexing',
      'succeeded',
    ]);
  });

  it('no events, no steps', () => {
    expect(timelineSteps([], false, 0)).toEqual([]);
  });
});

describe('totalDurationMs', () => {
  it('from creation to finish, or to now while running', () => {
    expect(totalDurationMs('2026-01-10T10:00:00Z', '2026-01-10T10:01:05.5Z', 0)).toBe(65_500);
    expect(totalDurationMs('2026-01-10T10:00:00Z', null, Date.parse('2026-01-10T10:00:10Z'))).toBe(10_000);
  });
});
