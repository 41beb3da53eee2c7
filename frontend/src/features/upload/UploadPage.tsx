import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useDatasources } from '../../api/queries';
import { uploadFile, type UploadHandle } from '../../api/upload';
import { PRIORITIES, type IngestMode, type OnInvalid, type Priority, type UploadFields } from '../../api/models';
import { Link, navigate, useSearchParams } from '../../router';
import { DropZone } from '../../components/DropZone';
import { datasourcePath } from '../../lib/paths';
import { addSample, uploadStats, type ProgressSample, type UploadStats } from './progress';
import { RefusalNotice } from './RefusalNotice';
import { describeUploadError, type Refusal } from './refusal';
import { UploadProgress } from './UploadProgress';

type Phase =
  | { kind: 'idle' }
  | { kind: 'uploading'; stats: UploadStats }
  | { kind: 'accepted'; jobId: string }
  | { kind: 'refused'; refusal: Refusal };

interface UploadPageProps {
  /** The uploader; tests pass a fake. */
  upload?: typeof uploadFile;
  /** Clock for progress maths; tests pass a fake. */
  now?: () => number;
}

const ON_INVALID: { value: OnInvalid; label: string; help: string }[] = [
  { value: 'reject', label: 'Reject the file', help: 'If any row is invalid, nothing is loaded.' },
  { value: 'skip', label: 'Skip invalid rows', help: 'Valid rows are loaded; invalid rows are reported.' },
];
const MODES: { value: IngestMode; label: string; help: string }[] = [
  { value: 'append', label: 'Append', help: 'Add these rows to the data already there.' },
  { value: 'replace', label: 'Replace', help: 'Replace the existing data for the time range of this file.' },
];

export function UploadPage({ upload = uploadFile, now = () => performance.now() }: UploadPageProps) {
  const queryClient = useQueryClient();
  const datasources = useDatasources();
  // ?datasource=NAME (the datasource page's "Upload to this datasource") chooses it; the form's value from then on.
  const [params] = useSearchParams();
  const [asked] = useState(() => params.get('datasource'));
  const [file, setFile] = useState<File | null>(null);
  const [fields, setFields] = useState<UploadFields>({
    datasource: asked || 'sales',
    on_invalid: 'reject',
    mode: 'append',
    priority: 'MEDIUM',
  });
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [missingFile, setMissingFile] = useState(false);
  const handle = useRef<UploadHandle | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const status = useRef<HTMLDivElement>(null);

  // Leaving the page cancels an upload still in flight.
  useEffect(() => () => handle.current?.abort(), []);

  // The progress panel and refusals appear below the form: bring them into view when they appear.
  useEffect(() => {
    if (phase.kind === 'uploading' || phase.kind === 'refused') {
      status.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
    }
  }, [phase.kind]);

  const names = datasources.data?.items.map((d) => d.name) ?? [];
  const datasource = names.length && !names.includes(fields.datasource) ? (names[0] as string) : fields.datasource;
  const chosen = datasources.data?.items.find((d) => d.name === datasource);
  const columns = chosen?.columns ?? [];
  // A name in the URL that is not a live datasource (deleted, unknown, mistyped) is said, not silently replaced.
  const askedMissing = Boolean(asked && datasources.isSuccess && !names.includes(asked));
  const busy = phase.kind === 'uploading' || phase.kind === 'accepted';
  const badField = phase.kind === 'refused' ? phase.refusal.field : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!file) {
      setMissingFile(true);
      fileInput.current?.focus();
      return;
    }
    let samples: ProgressSample[] = [{ at: now(), loaded: 0 }];
    setPhase({ kind: 'uploading', stats: uploadStats(samples, file.size) });
    const current = upload(
      file,
      { ...fields, datasource },
      {
        onProgress: (loaded, total) => {
          samples = addSample(samples, { at: now(), loaded });
          setPhase({ kind: 'uploading', stats: uploadStats(samples, total) });
        },
      },
    );
    handle.current = current;
    current.done.then(
      (accepted) => {
        handle.current = null;
        setPhase({ kind: 'accepted', jobId: accepted.job_id });
        void queryClient.invalidateQueries({ queryKey: ['jobs'] });
        navigate(`/jobs/${encodeURIComponent(accepted.job_id)}`);
      },
      (error: unknown) => {
        handle.current = null;
        setPhase({ kind: 'refused', refusal: describeUploadError(error) });
      },
    );
  };

  const set = <K extends keyof UploadFields>(key: K, value: UploadFields[K]) =>
    setFields((f) => ({ ...f, [key]: value }));

  return (
    <>
      <h1 tabIndex={-1}>Upload a file</h1>
      <p className="lead">
        Every row is checked against the datasource’s schema before anything reaches Druid. You will see the job’s
        steps, and exactly which rows failed which rule.
      </p>
      <form className="upload-form" onSubmit={submit} noValidate>
        <fieldset disabled={busy} className="plain">
          <legend className="visually-hidden">File and options</legend>
          <DropZone
            file={file}
            onFile={(f) => {
              setFile(f);
              setMissingFile(false);
              if (phase.kind === 'refused') setPhase({ kind: 'idle' });
            }}
            disabled={busy}
            invalid={missingFile || badField === 'file'}
            inputRef={fileInput}
          />
          {missingFile && (
            <p className="field-error" role="alert">
              Choose a file to upload first.
            </p>
          )}

          <div className="field-grid">
            <div className="field">
              <label htmlFor="datasource">Datasource</label>
              <select
                id="datasource"
                value={datasource}
                onChange={(e) => set('datasource', e.target.value)}
                aria-invalid={badField === 'datasource' || undefined}
                aria-describedby="datasource-help"
              >
                {names.length === 0 && <option value={fields.datasource}>{fields.datasource}</option>}
                {names.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
              <p id="datasource-help" className="muted small">
                {datasources.isPending && 'Loading the list of datasources…'}
                {datasources.isError && `Could not load the datasources (${datasources.error.message}).`}
                {datasources.isSuccess && `${names.length} available.`}
                {chosen && (
                  <>
                    {' '}
                    <Link to={datasourcePath(chosen.name)}>
                      Schema of {chosen.name} (v{chosen.schema_version})
                    </Link>
                  </>
                )}
              </p>
              {askedMissing && (
                <p className="field-error" role="status">
                  “{asked}” is not a datasource that takes uploads (deleted or unknown): choose another.
                </p>
              )}
            </div>

            <div className="field">
              <label htmlFor="priority">Priority</label>
              <select
                id="priority"
                value={fields.priority}
                onChange={(e) => set('priority', e.target.value as Priority)}
                aria-invalid={badField === 'priority' || undefined}
              >
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {p[0]}
                    {p.slice(1).toLowerCase()}
                  </option>
                ))}
              </select>
            </div>

            <fieldset className="field" aria-invalid={badField === 'on_invalid' || undefined}>
              <legend>If some rows are invalid</legend>
              {ON_INVALID.map((o) => (
                <label key={o.value} className="choice">
                  <input
                    type="radio"
                    name="on_invalid"
                    value={o.value}
                    checked={fields.on_invalid === o.value}
                    onChange={() => set('on_invalid', o.value)}
                  />
                  <span>
                    {o.label} <span className="muted small">— {o.help}</span>
                  </span>
                </label>
              ))}
            </fieldset>

            <fieldset className="field" aria-invalid={badField === 'mode' || undefined}>
              <legend>Mode</legend>
              {MODES.map((m) => (
                <label key={m.value} className="choice">
                  <input
                    type="radio"
                    name="mode"
                    value={m.value}
                    checked={fields.mode === m.value}
                    onChange={() => set('mode', m.value)}
                  />
                  <span>
                    {m.label} <span className="muted small">— {m.help}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          </div>

          {columns.length > 0 && (
            <details className="columns">
              <summary>
                Columns expected by “{datasource}” v{chosen?.schema_version} ({columns.length})
              </summary>
              <ul>
                {columns.map((c) => (
                  <li key={c.name}>
                    <code>{c.name}</code> <span className="muted">{c.type}</span>
                    {c.required ? ' (required)' : ' (optional)'}
                  </li>
                ))}
              </ul>
            </details>
          )}

          <button type="submit" className="button-primary">
            Upload
          </button>
        </fieldset>
      </form>

      <div id="upload-status" ref={status}>
        {phase.kind === 'uploading' && (
          <UploadProgress stats={phase.stats} onCancel={() => handle.current?.abort()} />
        )}
        {phase.kind === 'accepted' && (
          <p role="status">Upload complete. Opening the job…</p>
        )}
        {phase.kind === 'refused' && <RefusalNotice refusal={phase.refusal} />}
      </div>
    </>
  );
}
