import { formatBytes, formatSpeed, formatTimeLeft } from '../../lib/format';
import type { UploadStats } from './progress';

export function UploadProgress({ stats, onCancel }: { stats: UploadStats; onCancel: () => void }) {
  const finishing = stats.total > 0 && stats.loaded >= stats.total;
  return (
    <section className="panel upload-progress" aria-labelledby="upload-progress-title">
      <h2 id="upload-progress-title">{finishing ? 'Waiting for the server…' : 'Uploading'}</h2>
      <progress max={100} value={stats.percent} aria-labelledby="upload-progress-title" />
      <dl className="stats" aria-live="polite" aria-atomic="true">
        <div>
          <dt>Sent</dt>
          <dd>
            {formatBytes(stats.loaded)} of {formatBytes(stats.total)} ({stats.percent}%)
          </dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd>{formatSpeed(stats.bytesPerSecond)}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{finishing ? 'the server is storing the file' : formatTimeLeft(stats.secondsLeft)}</dd>
        </div>
      </dl>
      <button type="button" className="button-secondary" onClick={onCancel}>
        Cancel upload
      </button>
    </section>
  );
}
