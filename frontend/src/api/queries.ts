import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/**
 * The datasources and their columns; they change rarely, so one fetch a minute at most. Live ones only unless
 * `includeDeleted`; both lists sit under the key ['datasources'], so invalidating it refreshes either.
 */
export function useDatasources(includeDeleted = false) {
  return useQuery({
    queryKey: includeDeleted ? ['datasources', 'with-deleted'] : ['datasources'],
    queryFn: ({ signal }) => api.datasources(signal, includeDeleted),
    staleTime: 60_000,
  });
}

/** One datasource with its current schema version whole. */
export function useDatasource(name: string) {
  return useQuery({
    queryKey: ['datasource', name],
    queryFn: ({ signal }) => api.datasource(name, signal),
  });
}

/** A datasource's schema versions, newest first. */
export function useSchemaVersions(name: string) {
  return useQuery({
    queryKey: ['datasource', name, 'schemas'],
    queryFn: ({ signal }) => api.schemaVersions(name, signal),
  });
}
