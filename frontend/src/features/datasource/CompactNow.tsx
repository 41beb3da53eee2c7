import { useMutation } from '@tanstack/react-query';
import { api } from '../../api/client';
import { jobPath } from '../../lib/paths';
import { navigate } from '../../router';

/** Starts a compaction job of the datasource's fragmented chunks and goes to its page, where it is followed. */
export function CompactNow({ name, fragmented }: { name: string; fragmented: number }) {
  const compact = useMutation({
    mutationFn: () => api.compact(name),
    onSuccess: (started) => navigate(jobPath(started.job_id)),
  });
  return (
    <div className="operation-steps">
      <button type="button" className="button-secondary" disabled={compact.isPending} onClick={() => compact.mutate()}>
        {compact.isPending ? 'Starting…' : `Compact the ${fragmented === 1 ? 'fragmented chunk' : `${fragmented} fragmented chunks`}`}
      </button>
      {compact.isError && (
        <span className="notice notice-bad" role="alert">
          {compact.error.message}
        </span>
      )}
    </div>
  );
}
