import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';

/**
 * Druid's automatic compaction of one datasource, as the Coordinator holds it: a switch for those who may manage
 * the datasource, a line for everyone else. The answer to a change is read back from the Coordinator.
 */
export function AutoCompaction({ name, mayChange }: { name: string; mayChange: boolean }) {
  const queryClient = useQueryClient();
  const state = useQuery({
    queryKey: ['auto-compaction', name],
    queryFn: ({ signal }) => api.autoCompaction(name, signal),
  });
  const change = useMutation({
    mutationFn: (enabled: boolean) => api.setAutoCompaction(name, enabled),
    onSuccess: (answer) => queryClient.setQueryData(['auto-compaction', name], answer),
  });
  if (state.isPending) return <p role="status">Asking the Coordinator about automatic compaction…</p>;
  if (state.isError) {
    return (
      <div className="notice notice-bad" role="alert">
        Could not read automatic compaction from Druid: {state.error.message}
      </div>
    );
  }
  const { enabled, skip_offset_from_latest: skip, partitions_spec: partitions } = state.data;
  const said = enabled
    ? `Druid compacts this datasource automatically (${String(partitions?.type ?? 'dynamic')} partitioning, leaving the newest ${skip ?? 'data'} alone).`
    : 'Druid does not compact this datasource automatically.';
  return (
    <div className="auto-compaction">
      {mayChange ? (
        <label>
          <input
            type="checkbox"
            checked={enabled}
            disabled={change.isPending}
            onChange={(e) => change.mutate(e.target.checked)}
          />{' '}
          Compact automatically
        </label>
      ) : null}
      <p className="muted small">{said}</p>
      {change.isError && (
        <div className="notice notice-bad" role="alert">
          {change.error.message}
        </div>
      )}
    </div>
  );
}
