import { describe, expect, it } from 'vitest';
import { matchPath } from '../router';
import { datasourceJobsPath, datasourcePath, jobPath, uploadPath } from './paths';

describe('paths', () => {
  it('a datasource page, a datasource named "new" included', () => {
    expect(datasourcePath('web_events')).toBe('/datasources/web_events');
    expect(datasourcePath('new')).not.toBe('/datasources/new');
    expect(matchPath('/datasources/:name', datasourcePath('new'))).toEqual({ name: 'new' });
  });

  it('upload, job and jobs links', () => {
    expect(uploadPath('web-events_2')).toBe('/upload?datasource=web-events_2');
    expect(jobPath('a/b')).toBe('/jobs/a%2Fb');
    expect(datasourceJobsPath('web_events')).toBe('/jobs?datasource=web_events');
  });
});
