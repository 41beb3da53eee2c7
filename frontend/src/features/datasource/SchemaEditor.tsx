import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { CompatibilityCheck, RegisteredVersion, SchemaVersion } from '../../api/models';
import { Icon } from '../../components/Icon';
import { plural } from '../../lib/format';
import { ChangeList, DruidChangeList, ViolationList } from './ChangeList';
import { describeRegistrationError, editableDefinition, parseDefinition } from './editor';
import { RegistrationRefusal } from './RegistrationNotice';

function CheckResult({ check }: { check: CompatibilityCheck }) {
  return (
    <div className={`notice ${check.compatible ? 'notice-good' : 'notice-bad'}`} role="status">
      <h3>
        <Icon name={check.compatible ? 'check' : 'cross'} />{' '}
        {check.compatible
          ? `Compatible with version ${check.current_version} under ${check.compatibility}`
          : `Not compatible under ${check.compatibility}: ${plural(check.violations.length, 'violation')}`}
      </h3>
      {check.violations.length > 0 && <ViolationList violations={check.violations} />}
      <h4>Changes from version {check.current_version}</h4>
      <ChangeList changes={check.changes} label={`Changes from version ${check.current_version}`} />
      <h4>Druid</h4>
      <DruidChangeList druid={check.druid} />
    </div>
  );
}

function savedText(saved: RegisteredVersion): string {
  return saved.created
    ? `Version ${saved.version} registered.`
    : `Identical to the current version ${saved.version}: nothing was registered.`;
}

/**
 * A JSON editor over the current definition: Check (a dry run: compatible or not, the changes, Druid's dimension
 * changes) and Save as new version. The server judges the definition; the page only checks that it is JSON.
 */
export function SchemaEditor({ name, current }: { name: string; current: SchemaVersion }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState(() => editableDefinition(current.definition));
  const [base, setBase] = useState(current.version);
  const [jsonError, setJsonError] = useState<string | null>(null);

  const check = useMutation({
    mutationFn: (definition: Parameters<typeof api.checkSchema>[1]) => api.checkSchema(name, definition),
  });
  const save = useMutation({
    mutationFn: (definition: Parameters<typeof api.registerSchema>[1]) => api.registerSchema(name, definition),
    onSuccess: (saved) => {
      setText(editableDefinition(saved.definition));
      setBase(saved.version);
      check.reset();
      void queryClient.invalidateQueries({ queryKey: ['datasource', name] });
      void queryClient.invalidateQueries({ queryKey: ['datasources'] });
    },
  });

  const run = (action: 'check' | 'save') => {
    const parsed = parseDefinition(text);
    check.reset();
    save.reset();
    if (!parsed.ok) {
      setJsonError(parsed.message);
      return;
    }
    setJsonError(null);
    if (action === 'check') check.mutate(parsed.definition);
    else save.mutate(parsed.definition);
  };

  const reset = () => {
    setText(editableDefinition(current.definition));
    setBase(current.version);
    setJsonError(null);
    check.reset();
    save.reset();
  };

  const busy = check.isPending || save.isPending;
  return (
    <>
      <div className="field">
        <label htmlFor="schema-json">Definition (JSON)</label>
        <textarea
          id="schema-json"
          className="json-editor"
          rows={18}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={jsonError ? true : undefined}
          aria-describedby="schema-json-help"
        />
        <p id="schema-json-help" className="muted small">
          Started from version {base}
          {base !== current.version && ` (the current version is now ${current.version})`}. Rules:{' '}
          <code>{'{"kind": "not_blank"}'}</code>, <code>unique</code>, <code>{'one_of {values}'}</code>,{' '}
          <code>{'pattern {regex, meaning}'}</code>, <code>{'min / max {bound, inclusive}'}</code>,{' '}
          <code>not_in_future</code>, <code>{'too_old {earliest}'}</code>.
        </p>
      </div>
      <div className="form-actions">
        <button type="button" onClick={() => run('check')} disabled={busy}>
          {check.isPending ? 'Checking…' : 'Check'}
        </button>
        <button type="button" className="button-primary" onClick={() => run('save')} disabled={busy}>
          {save.isPending ? 'Saving…' : 'Save as new version'}
        </button>
        <button type="button" className="button-link" onClick={reset} disabled={busy}>
          Reset to version {current.version}
        </button>
      </div>
      <div aria-live="polite">
        {jsonError && (
          <p className="field-error" role="alert">
            {jsonError}
          </p>
        )}
        {check.isSuccess && <CheckResult check={check.data} />}
        {save.isSuccess && (
          <p className="notice notice-good" role="status">
            <Icon name="check" /> {savedText(save.data)}
          </p>
        )}
      </div>
      {check.isError && <RegistrationRefusal refusal={describeRegistrationError(check.error, 'checked')} />}
      {save.isError && <RegistrationRefusal refusal={describeRegistrationError(save.error, 'saved')} />}
    </>
  );
}
