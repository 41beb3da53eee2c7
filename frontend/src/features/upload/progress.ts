/** Upload progress maths: percent, speed over a sliding window, time left. Pure; times in milliseconds. */

export interface ProgressSample {
  at: number;
  loaded: number;
}

export interface UploadStats {
  loaded: number;
  total: number;
  percent: number;
  /** null until there is enough to measure (two samples at least MIN_SPAN_MS apart). */
  bytesPerSecond: number | null;
  /** null while the speed is unknown or zero (stalled). */
  secondsLeft: number | null;
}

/** Speed is measured over the last few seconds, so it follows a network that speeds up or slows down. */
export const SPEED_WINDOW_MS = 3000;
const MIN_SPAN_MS = 250;

/** Adds a sample and drops those older than the window, keeping one just outside it as the baseline. */
export function addSample(
  samples: readonly ProgressSample[],
  sample: ProgressSample,
  windowMs: number = SPEED_WINDOW_MS,
): ProgressSample[] {
  const all = [...samples, sample];
  const cutoff = sample.at - windowMs;
  let first = 0;
  while (first + 1 < all.length - 1 && (all[first + 1] as ProgressSample).at <= cutoff) first += 1;
  return all.slice(first);
}

export function uploadStats(samples: readonly ProgressSample[], total: number): UploadStats {
  const last = samples[samples.length - 1];
  const loaded = last?.loaded ?? 0;
  const percent = total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
  const first = samples[0];
  let bytesPerSecond: number | null = null;
  if (first && last && last.at - first.at >= MIN_SPAN_MS) {
    bytesPerSecond = Math.max(0, ((last.loaded - first.loaded) * 1000) / (last.at - first.at));
  }
  const secondsLeft =
    bytesPerSecond !== null && bytesPerSecond > 0 ? Math.max(0, total - loaded) / bytesPerSecond : null;
  return { loaded, total, percent, bytesPerSecond, secondsLeft };
}
