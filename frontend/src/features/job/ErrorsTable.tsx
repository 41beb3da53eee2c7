import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, rejectsUrl } from '../../api/client';
import { Icon } from '../../components/Icon';
import { displayText } from '../../lib/display';
import { plural } from '../../lib/format';

export const PAGE_SIZES = [25, 50, 100] as const;
/** The section's id: the job's banner links to it (`#row-errors`). */
export const ERRORS_SECTION_ID = 'row-errors';

/** One page of the job's row errors, ordered by row, with paging and the rejects CSV. */
export function ErrorsTable({ jobId, rowsInvalid }: { jobId: string; rowsInvalid: number | null }) {
  const [pageSize, setPageSize] = useState<number>(PAGE_SIZES[0]);
  const [offset, setOffset] = useState(0);
  const errors = useQuery({
    queryKey: ['job-errors', jobId, pageSize, offset],
    queryFn: ({ signal }) => api.errors(jobId, pageSize, offset, signal),
    placeholderData: keepPreviousData,
    // Shown only for a finished job, whose errors no longer change.
    staleTime: Infinity,
  });
  const total = errors.data?.total ?? 0;
  const items = errors.data?.items ?? [];
  const last = Math.min(offset + pageSize, total);

  return (
    <section className="panel" id={ERRORS_SECTION_ID} aria-labelledby="errors-title">
      <div className="section-head">
        <h2 id="errors-title">Row errors</h2>
        <a className="button-secondary" href={rejectsUrl(jobId)} download>
          <Icon name="download" /> Download rejected rows (CSV)
        </a>
      </div>
      {errors.isPending && <p role="status">Loading errors…</p>}
      {errors.isError && (
        <p className="notice notice-bad" role="alert">
          Could not load the errors: {errors.error.message}
        </p>
      )}
      {errors.isSuccess && total === 0 && <p>No row errors were recorded.</p>}
      {total > 0 && (
        <>
          <p className="muted">
            {plural(total, 'problem')} recorded
            {rowsInvalid !== null && ` in ${plural(rowsInvalid, 'invalid row')}`}. Showing {offset + 1}–{last}.
          </p>
          <div className="table-wrap">
            <table className="data-table errors-table" aria-describedby="errors-title">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Row
                  </th>
                  <th scope="col">Column</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Value</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e, i) => (
                  <tr key={`${e.row}-${e.column}-${e.rule}-${i}`}>
                    <td className="num">{e.row}</td>
                    <td>
                      <code>{displayText(e.column)}</code>
                    </td>
                    <td>{e.rule}</td>
                    <td>{e.value === null ? <span className="muted">(empty)</span> : <code>{displayText(e.value)}</code>}</td>
                    <td>{displayText(e.message)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Error pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>
              Previous
            </button>
            <span>
              Page {Math.floor(offset / pageSize) + 1} of {Math.max(1, Math.ceil(total / pageSize))}
            </span>
            <button type="button" disabled={last >= total} onClick={() => setOffset(offset + pageSize)}>
              Next
            </button>
            <label className="page-size">
              Rows per page{' '}
              <select
                value={pageSize}
                onChange={(e) => {
                  setPageSize(Number(e.target.value));
                  setOffset(0);
                }}
              >
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </nav>
        </>
      )}
    </section>
  );
}
