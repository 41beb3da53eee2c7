import { CSRF_HEADER, csrfToken } from './session';
import { ApiError, parseErrorBody, UPLOAD_URL } from './client';
import type { UploadAccepted, UploadFields } from './models';

export interface UploadHandle {
  /** Settles with the 202 body, or rejects with an ApiError (code `cancelled` after abort()). */
  done: Promise<UploadAccepted>;
  abort: () => void;
}

export interface UploadCallbacks {
  /** Bytes of the request body sent so far (the multipart body is a little larger than the file). */
  onProgress?: (loaded: number, total: number) => void;
}

/** What uploadFile needs from XMLHttpRequest; tests pass a fake. */
export type XhrFactory = () => XMLHttpRequest;

/**
 * POST /uploads with XMLHttpRequest: unlike fetch, it reports upload progress and can be aborted mid-body. The 202
 * body is typed by the generated `UploadAccepted` schema; a refusal goes through the client's one error-body reader.
 */
export function uploadFile(
  file: File,
  fields: UploadFields,
  callbacks: UploadCallbacks = {},
  createXhr: XhrFactory = () => new XMLHttpRequest(),
): UploadHandle {
  const xhr = createXhr();
  const form = new FormData();
  // Fields before the file, so a streaming server knows the options before the bytes arrive.
  form.append('datasource', fields.datasource);
  form.append('on_invalid', fields.on_invalid);
  form.append('mode', fields.mode);
  form.append('priority', fields.priority);
  form.append('file', file, file.name);

  const done = new Promise<UploadAccepted>((resolve, reject) => {
    xhr.upload.onprogress = (event) => {
      callbacks.onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as UploadAccepted);
        } catch {
          reject(new ApiError(xhr.status, { code: 'bad_response', message: 'The server accepted the file but its answer could not be read.', details: {} }));
        }
        return;
      }
      reject(new ApiError(xhr.status, parseErrorBody(xhr.status, xhr.statusText, xhr.responseText)));
    };
    xhr.onerror = () => {
      reject(
        new ApiError(0, {
          code: 'network_error',
          message: 'The upload was interrupted before the server answered.',
          details: {},
        }),
      );
    };
    xhr.onabort = () => {
      reject(new ApiError(0, { code: 'cancelled', message: 'Upload cancelled.', details: {} }));
    };
  });

  xhr.open('POST', UPLOAD_URL);
  xhr.setRequestHeader('Accept', 'application/json');
  const token = csrfToken();
  if (token) xhr.setRequestHeader(CSRF_HEADER, token);
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}
