// @vitest-environment node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSpec, readTsModel, TYPES_FILE } from './check-api.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = () => JSON.parse(readFileSync(path.join(here, 'fixtures/openapi.contract.json'), 'utf8'));
const model = readTsModel(TYPES_FILE);

const errors = (spec: unknown) =>
  checkSpec(spec as Record<string, unknown>, model)
    .problems.filter((p) => p.level === 'error')
    .map((p) => `${p.where}: ${p.text}`);

describe('check:api', () => {
  it('the contract as written matches types.ts', () => {
    const { problems, compared } = checkSpec(fixture(), model);
    expect(compared).toHaveLength(5);
    expect(problems).toEqual([]);
  });

  it('finds a required field the types lack, and a field the API dropped', () => {
    const spec = fixture();
    const job = spec.components.schemas.JobOut;
    job.properties.cancel_reason = { type: 'string' };
    job.required.push('cancel_reason');
    delete job.properties.druid_rows;
    job.required = job.required.filter((n: string) => n !== 'druid_rows');
    expect(errors(spec)).toEqual([
      'Job: "cancel_reason" is required by the API but missing from Job',
      'Job: Job.druid_rows is not in the API\'s schema',
    ]);
  });

  it('looks inside nested objects and arrays of objects', () => {
    const spec = fixture();
    delete spec.components.schemas.RowErrorOut.properties.rule;
    spec.components.schemas.JobEventOut.required.push('actor');
    const found = errors(spec);
    expect(found).toContain("ErrorList.items[]: RowError.rule is not in the API's schema");
    expect(found).toContain('Job.events[]: "actor" is required by the API but missing from JobEvent');
  });

  it('compares enums: a new job state on the server is an error', () => {
    const spec = fixture();
    spec.components.schemas.JobState.enum.push('paused');
    expect(errors(spec)).toContain('Job: Job.state values differ: API only [paused], types.ts only []');
  });

  it('a missing endpoint is an error; an optional server field is only a warning', () => {
    const spec = fixture();
    delete spec.paths['/api/v1/datasources'];
    spec.components.schemas.ErrorList.required = ['items'];
    const { problems } = checkSpec(spec, model);
    expect(problems).toContainEqual({
      level: 'error',
      where: 'GET /api/v1/datasources',
      text: 'no such endpoint with a JSON 2xx response',
    });
    expect(problems).toContainEqual({
      level: 'warning',
      where: 'ErrorList',
      text: 'ErrorList.total is always present in types.ts, but the API does not mark it required',
    });
  });
});
