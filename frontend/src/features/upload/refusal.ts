import { ApiError } from '../../api/client';
import { formatBytes } from '../../lib/format';

/** An upload refusal in words a person can act on. */
export interface Refusal {
  title: string;
  /** The server's own message, shown as is. */
  message: string;
  /** What to do about it. */
  hint: string;
  /** For 413: the size limit, from the details or the message. */
  limit?: string;
  /** For 409: the job that already has this file. */
  earlierJobId?: string;
  /** For 422: the form field at fault, when the server names it. */
  field?: string;
  /** The person cancelled it: not an error. */
  cancelled?: boolean;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const SIZE = /(\d+(?:[.,]\d+)?\s*(?:[KMGT]i?B|bytes|B)\b)/gi;

function str(details: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = details[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** The limit of a 413: a byte count in details, else the last size written in the message ("... limit is 5 GiB"). */
export function findLimit(err: ApiError): string | undefined {
  for (const key of ['limit_bytes', 'max_bytes', 'max_upload_bytes', 'limit']) {
    const v = err.details[key];
    if (typeof v === 'number' && Number.isFinite(v)) return formatBytes(v);
    if (typeof v === 'string' && v) return /^\d+$/.test(v) ? formatBytes(Number(v)) : v;
  }
  const sizes = err.message.match(SIZE);
  return sizes ? sizes[sizes.length - 1]?.trim() : undefined;
}

export function findEarlierJob(err: ApiError): string | undefined {
  const fromDetails = str(err.details, 'job_id', 'existing_job_id', 'earlier_job_id', 'duplicate_of');
  if (fromDetails) return fromDetails;
  return err.message.match(UUID)?.[0];
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
      const fields = error.details.fields;
      const field =
        str(error.details, 'field', 'param') ??
        (Array.isArray(fields) && typeof fields[0] === 'string' ? fields[0] : undefined);
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
      const name = str(error.details, 'datasource', 'name');
      return {
        title: name ? `Unknown datasource “${name}”` : 'Unknown datasource',
        message,
        hint: 'Pick a datasource from the list. If the one you need is missing, ask for it to be created.',
      };
    }
    case 409: {
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
