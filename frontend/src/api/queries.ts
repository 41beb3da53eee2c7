import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** The datasources and their columns; they change rarely, so one fetch a minute at most. */
export function useDatasources() {
  return useQuery({
    queryKey: ['datasources'],
    queryFn: ({ signal }) => api.datasources(signal),
    staleTime: 60_000,
  });
}
