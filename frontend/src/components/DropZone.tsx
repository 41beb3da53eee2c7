import { useId, useState, type DragEvent, type Ref } from 'react';
import { Icon } from './Icon';
import { formatBytes } from '../lib/format';

const ACCEPT = '.csv,.tsv,.txt,.xlsx,.xls,.parquet,.json,.jsonl,.ndjson,.gz,text/csv,application/json';

interface DropZoneProps {
  file: File | null;
  onFile: (file: File | null) => void;
  disabled: boolean;
  invalid: boolean;
  inputRef?: Ref<HTMLInputElement>;
}

/** A file input (keyboard and screen readers use it as is) inside an area that also accepts a dropped file. */
export function DropZone({ file, onFile, disabled, invalid, inputRef }: DropZoneProps) {
  const id = useId();
  const [over, setOver] = useState(false);

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    if (disabled) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setOver(false);
    if (disabled) return;
    const dropped = event.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  };

  return (
    <div
      className={`dropzone${over ? ' dropzone-over' : ''}${invalid ? ' dropzone-invalid' : ''}`}
      onDragOver={onDragOver}
      onDragEnter={onDragOver}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="dropzone"
    >
      <Icon name="upload" className="dropzone-icon" />
      <label htmlFor={id} className="dropzone-label">
        Choose a file <span className="muted">or drop it here</span>
      </label>
      <input
        id={id}
        ref={inputRef}
        type="file"
        name="file"
        accept={ACCEPT}
        disabled={disabled}
        aria-invalid={invalid || undefined}
        aria-describedby={`${id}-help`}
        onChange={(event) => onFile(event.currentTarget.files?.[0] ?? null)}
      />
      <p id={`${id}-help`} className="muted small">
        CSV, Excel (XLSX, XLS), Parquet or JSON. The format is read from the content, not the name.
      </p>
      {over && <p className="dropzone-hint">Release to choose this file</p>}
      {file && (
        <p className="dropzone-file" aria-live="polite">
          Selected: <strong>{file.name}</strong> ({formatBytes(file.size)})
        </p>
      )}
    </div>
  );
}
