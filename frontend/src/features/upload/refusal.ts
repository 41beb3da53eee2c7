import { ApiError } from '../../api/client';
import { formatBytes } from '../../lib/format';

/** An upload refusal in words a person can act on. */
export interface Refusal {
  title: string;
  /** The server's own message, shown as is. */
  message: string;
  /** What to do about it. */
  hint: string;
  /** For 413: the size limit (details.limit_bytes). */
  limit?: string;
  /** For 409: the job that already has this file (details.job_id). */
  earlierJobId?: string;
  /** For 422: the form field at fault (details.field, or the first of details.fields). */
  field?: string;
  /** The person cancelled it: not an error. */
  cancelled?: boolean;
}

/** The limit of a 413, from the `limit_bytes` the server sends with file_too_large. */
export function findLimit(err: ApiError): string | undefined {
  const bytes = err.details.limit_bytes;
  return bytes === undefined ? undefined : formatBytes(bytes);
}

/** The earlier job of a 409 duplicate_upload, from the `job_id` the server sends with it. */
export function findEarlierJob(err: ApiError): string | undefined {
  return err.code === 'duplicate_upload' ? err.details.job_id : undefined;
}

export function describeUploadError(error: unknown): Refusal {
  if (!(error instanceof ApiError)) {
    return {
      title: 'The upload failed',
      message: error instanceof Error ? error.message : String(error),
      hint: 'Try again. If it keeps failing, tell the people who run this service.',
    };
  }
  const message = error.message;
  if (error.code === 'cancelled') {
    return { title: 'Upload cancelled', message, cancelled: true, hint: 'Nothing was stored. Upload again when you are ready.' };
  }
  switch (error.status) {
    case 0:
      return {
        title: 'The upload was interrupted',
        message,
        hint: 'Check your connection and try again. A server may also close the connection when a file is over its size limit.',
      };
    case 413: {
      const limit = findLimit(error);
      return {
        title: 'The file is too large',
        message,
        limit,
        hint: `${limit ? `The server accepts files up to ${limit}. ` : ''}Split the file into smaller parts, or compress it (for example save it as Parquet), and upload each part.`,
      };
    }
    case 415:
      return {
        title: 'Unsupported file format',
        message,
        hint: 'Upload a CSV, Excel (XLSX or XLS), Parquet or JSON file. The format is read from the file’s content, so renaming a file does not change it: export it again in one of these formats.',
      };
    case 422: {
      const field = error.details.field ?? error.details.fields?.[0];
      if (error.code === 'empty_file' || error.code === 'no_data_rows') {
        return { title: 'The file has no data', message, hint: 'Choose a file with a header row and at least one data row.' };
      }
      if (error.code === 'missing_file') {
        return { title: 'No file was sent', message, field: 'file', hint: 'Choose a file, then upload again.' };
      }
      return {
        title: field ? `Check the field “${field}”` : 'Something in the upload needs fixing',
        message,
        field,
        hint: 'Correct what the message describes, then upload again.',
      };
    }
    case 404: {
      const name = error.details.datasource;
      return {
        title: name ? `Unknown datasource “${name}”` : 'Unknown datasource',
        message,
        hint: 'Pick a datasource from the list. If the one you need is missing, create it on the Datasources page.',
      };
    }
    case 409: {
      if (error.code === 'datasource_deleted') {
        return {
          title: error.details.datasource ? `Datasource “${error.details.datasource}” was deleted` : 'This datasource was deleted',
          message,
          field: 'datasource',
          hint: 'A deleted datasource takes no uploads. Pick another datasource from the list.',
        };
      }
      const earlierJobId = findEarlierJob(error);
      return {
        title: 'This file was already uploaded',
        message,
        earlierJobId,
        hint: earlierJobId
          ? 'Open the earlier job to see what happened to it.'
          : 'The same file was uploaded before; find it on the Jobs page.',
      };
    }
    default:
      return {
        title: error.status >= 500 ? `The server had a problem (${error.status})` : `The upload was refused (${error.status})`,
        message,
        hint: error.status >= 500 ? 'Wait a moment and try again.' : 'Correct what the message describes, then upload again.',
      };
  }
}
