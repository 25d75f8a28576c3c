import { describe, expect, it } from 'vitest';
import { csvRecords, fingerprint, normalise, prepare, toCustomer } from './core.ts';
import { csvField, parseCsv } from './csv.ts';

describe('CSV parser', () => {
  it('handles quotes, escaped quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    const text = '\uFEFFid,name,notes\r\n1,"Reyes, Dana","said ""hi""\nthen left"\r\n2,Bo,\r\n\r\n3,"",x';
    expect(parseCsv(text)).toEqual([
      ['id', 'name', 'notes'],
      ['1', 'Reyes, Dana', 'said "hi"\nthen left'],
      ['2', 'Bo', ''],
      ['3', '', 'x'],
    ]);
  });
  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3')).toThrow(/starting on line 2 is never closed/);
  });
  it('round-trips fields through csvField', () => {
    const v = ['a,b', 'say "x"', 'two\nlines', 'plain'];
    expect(parseCsv(v.map(csvField).join(','))).toEqual([v]);
  });
});

describe('normalisation and fingerprints', () => {
  it('maps CenterPoint headers and normalises cosmetic differences away', () => {
    const a = normalise({ 'Customer ID': 'CP-1', 'First Name': ' Dana ', 'Last Name': 'Reyes', Email: 'Dana@X.com', Phone: '(512) 555-0100', State: 'tx', 'Customer Since': '3/7/2021' });
    expect(a).toEqual({ externalId: 'CP-1', name: 'Dana Reyes', email: 'dana@x.com', phone: '+15125550100', state: 'TX', customerSince: '2021-03-07' });
    const b = normalise({ customer_id: 'CP-1', name: 'Dana   Reyes', email: 'dana@x.com', phone: '512.555.0100', state: 'TX', created: '2021-03-07' });
    expect(fingerprint(b)).toBe(fingerprint(a));
    expect(fingerprint({ ...a, city: 'Austin' })).not.toBe(fingerprint(a));
  });
});

describe('prepare and diff', () => {
  const csv = [
    'Customer ID,Name,Email',
    'C1,Ann,ann@x.com',
    'C2,Bob,bob@x.com',
    ',NoId,n@x.com',
    'C3,,c3@x.com',
    'C4,Cy,not-an-email',
    'C2,Bob,bob@x.com',
    'C1,Ann Other,ann@x.com',
    'C5,Di,di@x.com',
  ].join('\n');

  it('reports each conflict with its row and keeps the first of a duplicated id', () => {
    const p = prepare(csvRecords(csv));
    expect(p.records.map((r) => r.externalId)).toEqual(['C1', 'C2', 'C5']);
    expect(p.duplicates).toBe(1);
    expect(p.conflicts.map((c) => [c.row, c.externalId, c.reason])).toEqual([
      [3, undefined, 'missing_external_id'],
      [4, 'C3', 'missing_name'],
      [5, 'C4', 'invalid_email'],
      [7, 'C1', 'duplicate_external_id'],
    ]);
  });

  it('maps a record to the CRM customer shape', () => {
    const [r] = prepare([{ id: 'C9', name: 'Eve', street: '1 Main St', city: 'Austin', state: 'tx', zip: '78701', company: 'Eve Co', status: 'Active' }]).records;
    expect(toCustomer(r!)).toEqual({ externalId: 'C9', name: 'Eve', email: null, phone: null, address: '1 Main St, Austin, TX 78701', notes: 'Company: Eve Co; Status: active' });
  });
});
