/** The page paths of things the API names, built in one place. */

/**
 * A datasource's page. `/datasources/new` is the form, so a datasource named "new" (a valid name) gets its first
 * letter percent-encoded: the router decodes the segment back to "new" and does not take it for the form.
 */
export function datasourcePath(name: string): string {
  return name === 'new' ? '/datasources/%6Eew' : `/datasources/${encodeURIComponent(name)}`;
}

/** The upload page with this datasource chosen. */
export function uploadPath(datasource: string): string {
  return `/upload?datasource=${encodeURIComponent(datasource)}`;
}

export function jobPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

/** The jobs list filtered to one datasource. */
export function datasourceJobsPath(datasource: string): string {
  return `/jobs?datasource=${encodeURIComponent(datasource)}`;
}
