import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration, formatSpeed, formatTimeLeft, humanizeKey, plural } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.50 KiB'],
    [412_345, '403 KiB'],
    [5 * 1024 ** 3, '5.00 GiB'],
    [-1, '—'],
  ])('%d -> %s', (n, text) => expect(formatBytes(n)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [850, '850 ms'],
    [1_000, '1.0 s'],
    [12_300, '12 s'],
    [9_950, '9.9 s'],
    [60_000, '1 min'],
    [185_000, '3 min 5 s'],
    [3_720_000, '1 h 2 min'],
  ])('%d ms -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatAge', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T12:00:03Z', 'just now'], // clock skew: slightly in the future
    ['2026-01-10T11:59:58Z', 'just now'],
    ['2026-01-10T11:59:15Z', '45 s ago'],
    ['2026-01-10T11:57:00Z', '3 min ago'],
    ['2026-01-10T10:00:00Z', '2 h ago'],
    ['2026-01-06T12:00:00Z', '4 d ago'],
    ['not a date', '—'],
  ])('%s -> %s', (iso, text) => expect(formatAge(iso, now)).toBe(text));
});

describe('upload texts', () => {
  it('speed and time left', () => {
    expect(formatSpeed(null)).toBe('—');
    expect(formatSpeed(2 * 1024 * 1024)).toBe('2.00 MiB/s');
    expect(formatTimeLeft(null)).toBe('estimating…');
    expect(formatTimeLeft(0.4)).toBe('less than a second left');
    expect(formatTimeLeft(12.2)).toBe('13 s left');
    expect(formatTimeLeft(150)).toBe('about 3 min left');
  });
});

describe('humanizeKey', () => {
  it('splits camelCase and snake_case', () => {
    expect(humanizeKey('processedWithError')).toBe('processed with error');
    expect(humanizeKey('thrown_away')).toBe('thrown away');
    expect(humanizeKey('processed')).toBe('processed');
  });
});

describe('plural', () => {
  it('one and many', () => {
    expect(plural(1, 'problem')).toBe('1 problem');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(3000, 'row')).toBe('3,000 rows');
  });
});
