import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeJob } from '../../test/utils';
import { Receipt } from './Receipt';
import { checkReceipt } from './receipt';

describe('checkReceipt', () => {
  it('match when Druid returned exactly the valid rows', () => {
    expect(checkReceipt({ state: 'succeeded', druid_rows: 3000, rows_valid: 3000 })).toEqual({
      kind: 'match',
      druidRows: 3000,
      rowsValid: 3000,
    });
  });

  it('mismatch when the counts differ, or the valid count is unknown', () => {
    expect(checkReceipt({ state: 'failed', druid_rows: 2990, rows_valid: 3000 }).kind).toBe('mismatch');
    expect(checkReceipt({ state: 'succeeded', druid_rows: 0, rows_valid: null }).kind).toBe('mismatch');
  });

  it('zero rows valid and zero returned is a match, not "missing"', () => {
    expect(checkReceipt({ state: 'succeeded', druid_rows: 0, rows_valid: 0 }).kind).toBe('match');
  });

  it('pending while running; missing for a success without a count; none for a job that ended otherwise', () => {
    expect(checkReceipt({ state: 'indexing', druid_rows: null, rows_valid: 3000 }).kind).toBe('pending');
    expect(checkReceipt({ state: 'succeeded', druid_rows: null, rows_valid: 3000 }).kind).toBe('missing');
    expect(checkReceipt({ state: 'rejected', druid_rows: null, rows_valid: 0 }).kind).toBe('none');
  });
});

describe('<Receipt>', () => {
  it('says how many rows Druid returned and that they equal rows_valid', () => {
    render(<Receipt job={makeJob({ druid_rows: 3000, rows_valid: 3000 })} />);
    expect(screen.getByText(/Druid returned/)).toHaveTextContent('Druid returned 3,000 rows for this job.');
    expect(screen.getByText(/Matches the 3,000 valid rows/)).toBeInTheDocument();
  });

  it('says when they differ', () => {
    render(<Receipt job={makeJob({ druid_rows: 2990, rows_valid: 3000 })} />);
    expect(screen.getByText(/Druid returned/)).toHaveTextContent('Druid returned 2,990 rows for this job.');
    expect(screen.getByText(/Does not match the 3,000 valid rows \(fewer than expected\)/)).toBeInTheDocument();
  });
});

describe('<Receipt> of a retracted upload', () => {
  it('says the rows were there and are gone now, not that everything validated is in Druid', () => {
    const { container } = render(<Receipt job={makeJob({ retracted_by: '7d0e4b1a-5c2f-4e8b-9a6d-1f3c5e7a9b20' })} />);
    expect(container.querySelector('[data-receipt]')).toHaveAttribute('data-receipt', 'retracted');
    expect(screen.getByText(/They have since been retracted/)).toBeInTheDocument();
    expect(screen.queryByText(/everything validated is in Druid/)).not.toBeInTheDocument();
  });
});
