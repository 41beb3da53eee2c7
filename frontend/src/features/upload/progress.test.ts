import { describe, expect, it } from 'vitest';
import { addSample, uploadStats, type ProgressSample } from './progress';

const MiB = 1024 * 1024;

describe('uploadStats', () => {
  it('reports percent, speed and time left from the first and last sample', () => {
    const samples: ProgressSample[] = [
      { at: 0, loaded: 0 },
      { at: 2000, loaded: 4 * MiB },
    ];
    const s = uploadStats(samples, 10 * MiB);
    expect(s.loaded).toBe(4 * MiB);
    expect(s.percent).toBe(40);
    expect(s.bytesPerSecond).toBe(2 * MiB);
    expect(s.secondsLeft).toBe(3);
  });

  it('has no speed or time left before there is enough to measure', () => {
    expect(uploadStats([{ at: 0, loaded: 0 }], 100)).toMatchObject({ percent: 0, bytesPerSecond: null, secondsLeft: null });
    const early = uploadStats(
      [
        { at: 0, loaded: 0 },
        { at: 100, loaded: 50 },
      ],
      100,
    );
    expect(early.percent).toBe(50);
    expect(early.bytesPerSecond).toBeNull();
    expect(early.secondsLeft).toBeNull();
  });

  it('a stalled upload has speed 0 and an unknown time left', () => {
    const s = uploadStats(
      [
        { at: 0, loaded: 500 },
        { at: 3000, loaded: 500 },
      ],
      1000,
    );
    expect(s.bytesPerSecond).toBe(0);
    expect(s.secondsLeft).toBeNull();
  });

  it('never exceeds 100% and a finished upload has 0 s left', () => {
    const s = uploadStats(
      [
        { at: 0, loaded: 0 },
        { at: 1000, loaded: 1200 },
      ],
      1000,
    );
    expect(s.percent).toBe(100);
    expect(s.secondsLeft).toBe(0);
  });

  it('rounds percent down, so 100% means every byte was sent', () => {
    const s = uploadStats([{ at: 0, loaded: 999 }], 1000);
    expect(s.percent).toBe(99);
  });
});

describe('addSample', () => {
  it('keeps only the window plus one baseline sample before it', () => {
    let samples: ProgressSample[] = [];
    for (let t = 0; t <= 10_000; t += 1000) samples = addSample(samples, { at: t, loaded: t }, 3000);
    expect(samples.map((s) => s.at)).toEqual([7000, 8000, 9000, 10_000]);
  });

  it('follows a change of speed: the old slow part no longer counts', () => {
    let samples: ProgressSample[] = [{ at: 0, loaded: 0 }];
    // 10 s at 100 B/s, then 3 s at 1000 B/s.
    for (let t = 1000; t <= 10_000; t += 1000) samples = addSample(samples, { at: t, loaded: t / 10 }, 3000);
    for (let t = 11_000; t <= 13_000; t += 1000) {
      samples = addSample(samples, { at: t, loaded: 1000 + (t - 10_000) }, 3000);
    }
    expect(uploadStats(samples, 10_000).bytesPerSecond).toBe(1000);
  });

  it('keeps the first two samples however far apart', () => {
    const samples = addSample([{ at: 0, loaded: 0 }], { at: 60_000, loaded: 10 }, 3000);
    expect(samples).toHaveLength(2);
    expect(uploadStats(samples, 100).bytesPerSecond).toBeCloseTo(10 / 60);
  });
});
