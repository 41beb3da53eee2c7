import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { Link, matchPath, navigate, useLocation, useSearchParams } from './router';

describe('matchPath', () => {
  it('matches parameters and nothing else', () => {
    expect(matchPath('/jobs/:id', '/jobs/abc')).toEqual({ id: 'abc' });
    expect(matchPath('/jobs/:id', '/jobs/a%20b/')).toEqual({ id: 'a b' });
    expect(matchPath('/jobs/:id', '/jobs')).toBeNull();
    expect(matchPath('/jobs/:id', '/jobs/a/b')).toBeNull();
  });
});

function Probe() {
  const { pathname, search } = useLocation();
  const [params, setParams] = useSearchParams();
  return (
    <div>
      <p data-testid="where">{pathname + search}</p>
      <p data-testid="state">{params.get('state') ?? ''}</p>
      <button onClick={() => setParams({ state: 'failed' })}>filter</button>
      <button onClick={() => setParams({ state: null })}>clear</button>
      <Link to="/jobs/x">job</Link>
    </div>
  );
}

describe('router', () => {
  it('links, query params and back', async () => {
    const user = userEvent.setup();
    navigate('/jobs');
    render(<Probe />);
    await user.click(screen.getByRole('button', { name: 'filter' }));
    expect(screen.getByTestId('where')).toHaveTextContent('/jobs?state=failed');
    expect(screen.getByTestId('state')).toHaveTextContent('failed');
    await user.click(screen.getByRole('button', { name: 'clear' }));
    expect(screen.getByTestId('where')).toHaveTextContent(/^\/jobs$/);
    await user.click(screen.getByRole('link', { name: 'job' }));
    expect(screen.getByTestId('where')).toHaveTextContent('/jobs/x');
  });
});
