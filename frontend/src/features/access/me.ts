import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { accessApi } from '../../api/access';
import { ApiError } from '../../api/client';
import type { Me, Role } from '../../api/models';

const RANK: Record<Role, number> = { read: 1, upload: 2, manage: 3 };

/** Who is signed in: the caller, `null` when signed out (401), undefined while asking. */
export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async ({ signal }): Promise<Me | null> => {
      try {
        return await accessApi.me(signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/**
 * The caller as App asked once, for the pages below it: undefined when it could not be asked (an outage: everything
 * is offered and the server decides). Pages read this rather than observing the query again, since a second
 * observer of a failed query would refetch it on mount and put App back to "Loading" over and over.
 */
export const CallerContext = createContext<Me | undefined>(undefined);

export function useCaller(): Me | undefined {
  return useContext(CallerContext);
}

/** Whether the caller may take `role` on `datasource` (the server decides anyway; the page only hides what it would
 * refuse). An admin may do everything; with access control off the server answers as an admin. */
export function may(me: Me | null | undefined, role: Role, datasource: string): boolean {
  if (!me) return false;
  if (me.is_admin) return true;
  const held = me.grants[datasource];
  return held !== undefined && RANK[held] >= RANK[role];
}

/** Whether some datasource lets the caller `role`. */
export function mayAnywhere(me: Me | null | undefined, role: Role): boolean {
  if (!me) return false;
  return me.is_admin || Object.values(me.grants).some((held) => RANK[held] >= RANK[role]);
}
