import { ApiError } from './client';
import { isTerminal, type Job, type JobList } from './models';

export const JOB_POLL_MS = 1000;
export const JOBS_POLL_MS = 2000;

/** The job page polls every second until the job reaches a terminal state, and stops for a job that does not exist. */
export function jobPollInterval(job: Job | undefined, error: unknown): number | false {
  if (job) return isTerminal(job.state) ? false : JOB_POLL_MS;
  if (error instanceof ApiError && error.status === 404) return false;
  return JOB_POLL_MS;
}

/** The jobs list polls every 2 s while any job it shows is still moving. */
export function jobsPollInterval(list: JobList | undefined): number | false {
  return list?.items.some((j) => !isTerminal(j.state)) ? JOBS_POLL_MS : false;
}
