/**
 * CRM imports from real-shaped exports (/work/shared/cases/crm-exports and their kin), end to
 * end on the real stack: semicolon-separated European Excel, UK day-first dates, international
 * phones read in the tenant's phone region, a tab-separated Windows-1252 (Latin-1) upload full
 * of spreadsheet quirks, a sentence when an export imports nothing, the JSON route limits and
 * the published schema agreeing, and a 100,000-row export uploaded over HTTP with its progress.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCustomers, toCsv } from '../agents/crm-sync/fixtures/generate.ts';
import { createKey } from '../runtime/keys.ts';
import { runTask, startTestApp, taskEnd, type TestApp } from './harness.ts';

/** The case files of /work/shared/cases/crm-exports, byte for byte (CRLF rows). */
const CASES = {
  semicolon: [
    'Customer ID;First Name;Last Name;Email;Phone;City;State;Zip;Customer Since',
    'EU-0001;Jürgen;Beispiel;juergen.beispiel@example.com;0151 23456789;Berlin;BE;10115;13.02.2021',
    'EU-0002;Zoë;Muster;zoe.muster@example.com;+33 6 12 34 56 78;Lyon;ARA;69001;03.04.2022',
  ],
  dayFirst: [
    'Customer ID,Name,Email,Customer Since',
    'UK-0001,Alex Sample,alex.sample@example.com,13/02/2021',
    'UK-0002,Sam Example,sam.example@example.com,03/04/2022',
  ],
  phones: [
    'Customer ID,Name,Email,Phone',
    'PH-1,Singapore Test,sg@example.com,+65 6123 4567',
    'PH-2,Australia Test,au@example.com,0412 345 678',
    'PH-3,UK Test,uk@example.com,+44 20 7946 0958',
    'PH-4,Ext Test,ext@example.com,(555) 010-0199 x204',
    'PH-5,Trunk Test,trunk@example.com,+1 (555) 010-0142',
  ],
};
const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

let app: TestApp;
const keys: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp('pg');
  for (const t of ['eu', 'uk', 'au']) keys[t] = (await createKey(app.proc.runtime.db, t, ['admin'], t)).key;
}, 60_000);
afterAll(() => app?.stop());

type Task = { id: string; status: string; output: any; error?: { code: string; message: string } };

const finished = (id: string, key: string): Promise<Task> => taskEnd(app, id, { key });

const importInline = (data: string, key: string, extra: Record<string, unknown> = {}): Promise<Task> =>
  runTask(app, 'crm-sync', { source: { kind: 'inline', format: 'csv', data }, ...extra }, { key });

async function upload(
  bytes: Uint8Array,
  key: string,
  query = '',
  contentType = 'text/csv',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: any }> {
  const res = await fetch(`${app.url}/api/v1/crm/imports${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType, ...headers },
    body: bytes,
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() };
}

async function customers(key: string): Promise<Record<string, any>> {
  const list = (await app.call('GET', '/api/v1/crm/customers?limit=200', undefined, { key })).body.customers as any[];
  return Object.fromEntries(list.map((c) => [c.externalId, c]));
}

describe('real-shaped exports', () => {
  it('semicolon-separated European Excel: 2 imported, day-first dotted dates, national numbers in the tenant region only', async () => {
    const t = await importInline(crlf(CASES.semicolon), keys.eu!);
    expect(t.status, JSON.stringify(t.error)).toBe('succeeded');
    expect(t.output).toMatchObject({
      rows: 2,
      valid: 2,
      inserted: 2,
      conflictCount: 0,
      phoneRegion: 'US',
      file: { format: 'csv', delimiter: 'semicolon', dateOrder: { order: 'dmy', decidedBy: 'column' } },
    });
    let c = await customers(keys.eu!);
    expect(c['EU-0001']).toMatchObject({ name: 'Jürgen Beispiel', phone: '0151 23456789', notes: 'Customer since: 2021-02-13' });
    expect(c['EU-0002']).toMatchObject({ name: 'Zoë Muster', phone: '+33612345678', notes: 'Customer since: 2022-04-03' });
    // Kept as written with a warning, never guessed into a +1 number; the report shows the example.
    expect(t.output.warnings).toEqual([
      {
        kind: 'phone_no_country_code',
        count: 1,
        examples: [
          {
            row: 1,
            externalId: 'EU-0001',
            // No country is guessed for it (it fits AT, DE, CN… alike): the message says how to set one.
            message: expect.stringMatching(
              /^phone '0151 23456789' has no country code and is not a valid US number; .*\{"phoneRegion": "<code>"\}, e\.g\. DE for Germany\)$/,
            ),
          },
        ],
      },
    ]);

    // The tenant says its numbers are German: the same export now stores the E.164 number.
    const patched = await app.call('PATCH', '/api/v1/tenant', { phoneRegion: 'de' }, { key: keys.eu! });
    expect(patched.body.tenant).toMatchObject({ phoneRegion: 'DE' });
    const again = await importInline(crlf(CASES.semicolon), keys.eu!);
    expect(again.output).toMatchObject({ inserted: 0, updated: 1, unchanged: 1, warningCount: 0, phoneRegion: 'DE' });
    c = await customers(keys.eu!);
    expect(c['EU-0001']).toMatchObject({ phone: '+4915123456789', warnings: [] });
    expect((await app.call('PATCH', '/api/v1/tenant', { phoneRegion: 'XX' }, { key: keys.eu! })).status).toBe(400);
  });

  it('UK day-first dates: the file proves the order (13 cannot be a month)', async () => {
    const t = await importInline(crlf(CASES.dayFirst), keys.uk!);
    expect(t.output).toMatchObject({ inserted: 2, file: { delimiter: 'comma', dateOrder: { order: 'dmy', decidedBy: 'column' } } });
    const c = await customers(keys.uk!);
    expect([c['UK-0001'].notes, c['UK-0002'].notes]).toEqual(['Customer since: 2021-02-13', 'Customer since: 2022-04-03']);
  });

  it('an ambiguous date column is reported and not stored, unless the import says the order', async () => {
    const csv = crlf(['Customer ID,Name,Customer Since', 'AMB-1,Ann,03/04/2022', 'AMB-2,Bo,05/06/2021']);
    const t = await importInline(csv, keys.uk!);
    expect(t.output.warnings).toEqual([
      {
        kind: 'date_ambiguous',
        count: 2,
        examples: [expect.objectContaining({ row: 1, value: '03/04/2022' }), expect.objectContaining({ row: 2, value: '05/06/2021' })],
      },
    ]);
    expect((await customers(keys.uk!))['AMB-1'].notes).toBeNull();
    const told = await importInline(csv, keys.uk!, { dateOrder: 'dmy' });
    expect(told.output).toMatchObject({ updated: 2, warningCount: 0, file: { dateOrder: { order: 'dmy', decidedBy: 'option' } } });
    expect((await customers(keys.uk!))['AMB-1'].notes).toBe('Customer since: 2022-04-03');
  });

  it('a header named twice loses no value, and a row with cells past the header is in the report', async () => {
    const t = await importInline(
      'Customer ID,Name,Email,Email\r\nDH-1,Dup One,first@example.com,\r\nDH-2,Dup Two,,second@example.com,EXTRA\r\n',
      keys.eu!,
    );
    expect(t.status, JSON.stringify(t.error)).toBe('succeeded');
    expect(t.output).toMatchObject({ inserted: 2, warningCount: 2 });
    expect(t.output.warnings.map((w: { kind: string }) => w.kind).sort()).toEqual(['duplicate_column', 'extra_cells']);
    // A mistyped email is one warning per customer, found on reading the file (not again by the upsert).
    const typo = await importInline('Customer #,Name,Email\r\n9401,A,bad1@\r\n9402,B,bad2@@x\r\n', keys.eu!);
    expect(typo.output.warnings).toEqual([expect.objectContaining({ kind: 'email_invalid', count: 2 })]);
    expect(typo.output.warnings[0].examples.map((e: { externalId: string }) => e.externalId)).toEqual(['9401', '9402']);
    const c = await customers(keys.eu!);
    expect([c['DH-1'].email, c['DH-2'].email]).toEqual(['first@example.com', 'second@example.com']);
  });

  it('international phones: own country codes kept, extensions apart, national numbers only in the tenant region', async () => {
    const t = await importInline(crlf(CASES.phones), keys.au!);
    expect(t.output).toMatchObject({
      inserted: 5,
      warningCount: 1,
      warnings: [{ kind: 'phone_no_country_code', count: 1, examples: [expect.objectContaining({ externalId: 'PH-2', row: 2 })] }],
    });
    let c = await customers(keys.au!);
    expect(Object.fromEntries(Object.entries(c).map(([id, x]) => [id, [x.phone, x.phoneExtension]]))).toEqual({
      'PH-1': ['+6561234567', null],
      'PH-2': ['0412 345 678', null],
      'PH-3': ['+442079460958', null],
      'PH-4': ['+15550100199', '204'],
      'PH-5': ['+15550100142', null],
    });
    // The tenant's numbers are Australian: the national mobile is now read as one. (A US-written
    // national number like PH-4's would now be flagged, so this export leaves PH-4 out.)
    await app.call('PATCH', '/api/v1/tenant', { phoneRegion: 'AU' }, { key: keys.au! });
    const again = await importInline(crlf(CASES.phones.filter((l) => !l.startsWith('PH-4'))), keys.au!);
    expect(again.output).toMatchObject({ updated: 1, unchanged: 3, warningCount: 0, phoneRegion: 'AU' });
    c = await customers(keys.au!);
    expect(c['PH-2'].phone).toBe('+61412345678');
    // A +1 number keeps its own country code whatever the region.
    expect([c['PH-5'].phone, c['PH-1'].phone]).toEqual(['+15550100142', '+6561234567']);
  });

  it('a tab-separated Windows-1252 (Latin-1) upload full of spreadsheet quirks is read as meant', async () => {
    const text = crlf([
      'Kundennummer\tVorname\tNachname\tE-Mail\tTelefon\tStraße\tOrt\tState\tZip\tCustomer Since\tLifetime Value',
      '="00123"\tJürgen \t Groß\tJUERGEN@EXAMPLE.COM \t\'+49 30 1234567\t"Hauptstraße 1\r\nHinterhaus"\tMünchen\tBY\t80331\t44240\t"1,234.50"',
      '="00124"\tZoë\tCañón\tzoe@example.com\t+33 6 12 34 56 78 ext. 9\tRue de l\'Église 2\tLyon\tMA\t2134\t13/02/2021\t€900',
      '1.23457E+11\tLost\tId\t\t\t\t\t\t\t\t',
      '\t\t\t\t\t\t\t\t\t\t',
      '',
    ]);
    const bytes = iconv.encode(text, 'win1252');
    expect(bytes.includes(0xfc)).toBe(true); // ü as one Latin-1 byte, not UTF-8
    const r = await upload(bytes, keys.eu!, '?filename=kunden.csv');
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.upload).toMatchObject({ bytes: bytes.length, encoding: 'windows-1252', filename: 'kunden.csv' });
    const t = await finished(r.body.task.id, keys.eu!);
    expect(t.status, JSON.stringify(t.error)).toBe('succeeded');
    expect(t.output).toMatchObject({
      rows: 3,
      valid: 2,
      inserted: 2,
      conflictCount: 1,
      file: { encoding: 'windows-1252', delimiter: 'tab' },
    });
    expect(t.output.conflicts[0]).toMatchObject({ reason: 'external_id_mangled', message: expect.stringContaining('scientific notation') });
    expect(t.output.file.ignoredColumns).toEqual(['Straße', 'Ort']);
    const c = await customers(keys.eu!);
    expect(c['00123']).toMatchObject({
      name: 'Jürgen Groß',
      email: 'juergen@example.com',
      phone: '+49301234567',
      notes: 'Customer since: 2021-02-13; Lifetime value: 1234.5',
    });
    expect(c['00124']).toMatchObject({
      name: 'Zoë Cañón',
      phone: '+33612345678',
      phoneExtension: '9',
      address: 'MA 02134',
      notes: 'Customer since: 2021-02-13; Lifetime value: 900',
    });
  });

  it('a non-empty export that imports nothing fails with a sentence saying why', async () => {
    const noId = await upload(Buffer.from('Name;Email\r\nAnn;ann@example.com\r\n'), keys.uk!);
    const t = await finished(noId.body.task.id, keys.uk!);
    expect(t).toMatchObject({ status: 'failed', error: { code: 'CRM_IMPORT_EMPTY' } });
    expect(t.error!.message).toBe(
      `No column holds a customer id: the header, split on semicolon (';'), has 'Name', 'Email'; name one column "Customer ID" (or ID, External ID, Account Number).`,
    );
    const oddSep = await importInline('Customer ID^Name\r\nX-1^Ann\r\n', keys.uk!);
    expect(oddSep.error!.message).toMatch(/single column 'Customer ID\^Name': the separator may be one we do not read/);
    const allBad = await importInline('Customer ID,Name\r\n,Ann\r\n,Bo\r\n', keys.uk!);
    expect(allBad.error).toMatchObject({
      code: 'CRM_IMPORT_EMPTY',
      message: 'None of the 2 rows could be imported: 2 missing external id (e.g. Row 1 has no customer id.).',
    });
  });

  it('refuses an upload that is not a file body, or empty, with 4xx and nothing stored', async () => {
    const before = (await app.query<{ n: number }>('SELECT count(*)::int AS n FROM crm_uploads'))[0]!.n;
    const json = await upload(Buffer.from('{"a":1}'), keys.uk!, '', 'application/json');
    expect(json.status).toBe(415);
    expect(json.body.error.message).toContain('Content-Type: text/csv');
    expect((await upload(new Uint8Array(0), keys.uk!)).status).toBe(400);
    expect((await upload(Buffer.from('a'), 'bo_not_a_key')).status).toBe(401);
    expect((await app.query<{ n: number }>('SELECT count(*)::int AS n FROM crm_uploads'))[0]!.n).toBe(before);
  });

  it('answers the same file under the same Idempotency-Key with the first task, and another file under it with 422', async () => {
    const uploads = async () => (await app.query<{ n: number }>('SELECT count(*)::int AS n FROM crm_uploads'))[0]!.n;
    const file = Buffer.from('name,email\nIdem Once,idem.once@example.com\n');
    const key = { 'idempotency-key': 'import-idem-1' };
    const first = await upload(file, keys.uk!, '', 'text/csv', key);
    expect(first.status).toBe(202);
    const before = await uploads();
    const again = await upload(file, keys.uk!, '', 'text/csv', key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.task.id).toBe(first.body.task.id);
    expect(again.body.upload).toEqual(first.body.upload);
    const other = await upload(Buffer.from('name,email\nSomeone Else,else@example.com\n'), keys.uk!, '', 'text/csv', key);
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { taskId: first.body.task.id } });
    // Same file, other options: not a repeat either.
    expect((await upload(file, keys.uk!, '?dateOrder=dmy', 'text/csv', key)).status).toBe(422);
    expect(await uploads()).toBe(before);
  });
});

describe('an import of a stored upload', () => {
  it('is refused when it is asked for (422 UPLOAD_NOT_FOUND, no task made) if the upload is not this business’s', async () => {
    const made = await upload(Buffer.from('Customer ID,Name,Email\nOWN-1,Own Upload,own.upload@example.com\n'), keys.eu!, '?batchSize=7');
    expect(made.status).toBe(202);
    const uploadId = made.body.upload.id as string;
    const tasks = async () => (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE agent = 'crm-sync'`))[0]!.n;
    const before = await tasks();
    for (const [id, key] of [
      ['7c9e6679-7425-40de-944b-e07fc1f90ae7', keys.eu!], // no such upload
      [uploadId, keys.uk!], // another business's
    ] as const) {
      const r = await app.call('POST', '/api/v1/agents/crm-sync/tasks', { input: { source: { kind: 'upload', uploadId: id } } }, { key });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'UPLOAD_NOT_FOUND', details: { uploadId: id } });
      expect(r.body.error.message).toContain('POST /api/v1/crm/imports');
    }
    expect(await tasks()).toBe(before);
    // Its own upload imports again on request.
    const again = await runTask(app, 'crm-sync', { source: { kind: 'upload', uploadId } }, { key: keys.eu! });
    expect(again.status, JSON.stringify(again.error)).toBe('succeeded');
  });
});

describe('limits', () => {
  it('the JSON route takes inline exports up to the published 1,000,000 characters and points larger ones at the upload route', async () => {
    const spec = (await app.call('GET', '/openapi.json')).body;
    const raw = JSON.stringify(spec);
    expect(raw).toContain('"maxLength":1000000');
    expect(raw).not.toContain('"maxLength":50000000');
    expect(spec.paths['/api/v1/crm/imports'].post.requestBody.content['text/csv']).toBeDefined();

    const rows = generateCustomers(7_500, 3);
    const csv = toCsv(rows);
    expect(csv.length).toBeGreaterThan(850_000);
    expect(csv.length).toBeLessThanOrEqual(1_000_000);
    expect((await importInline(csv, keys.uk!)).output).toMatchObject({ rows: 7_500, inserted: 7_500 });

    const tooLong = await app.call('POST', '/api/v1/agents/crm-sync/tasks', {
      input: { source: { kind: 'inline', format: 'csv', data: 'x'.repeat(1_000_001) } },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('source.data');
    const tooBig = await app.call('POST', '/api/v1/agents/crm-sync/tasks', undefined, {
      raw: JSON.stringify({ input: { source: { kind: 'inline', format: 'csv', data: 'x'.repeat(2_200_000) } } }),
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.message).toContain('POST /api/v1/crm/imports');
  }, 60_000);

  it('uploads a 100,000-row export (~10 MB) over HTTP and streams its progress to the end', async () => {
    const csv = toCsv(generateCustomers(100_000, 7));
    const bytes = Buffer.from(csv, 'utf8');
    expect(bytes.length).toBeGreaterThan(9_000_000);
    const r = await upload(bytes, keys.au!, '?batchSize=1000&filename=centerpoint-100k.csv');
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.upload).toMatchObject({ bytes: bytes.length, encoding: 'utf-8' });

    // Follow the task's event stream (SSE) until it ends, collecting the progress it reports.
    const progress: number[] = [];
    let status = '';
    const res = await fetch(`${app.url}${r.body.events}`, { headers: { authorization: `Bearer ${keys.au}`, accept: 'text/event-stream' } });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    while (!['succeeded', 'failed', 'cancelled'].includes(status)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const frames = buffered.split('\n\n');
      buffered = frames.pop()!;
      for (const f of frames) {
        const type = /^event: (\w+)$/m.exec(f)?.[1];
        const data = /^data: (.*)$/m.exec(f)?.[1];
        if (!type || !data) continue;
        const d = JSON.parse(data);
        if (type === 'progress') progress.push(d.pct);
        if (type === 'status') status = d.status ?? d.to ?? status;
      }
    }
    await reader.cancel();
    const t = await finished(r.body.task.id, keys.au!);
    expect(t.status, JSON.stringify(t.error)).toBe('succeeded');
    expect(t.output).toMatchObject({
      rows: 100_000,
      valid: 100_000,
      inserted: 100_000,
      conflictCount: 0,
      file: { delimiter: 'comma', encoding: 'utf-8', dateOrder: { order: 'mdy' } },
    });
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    expect(
      (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE tenant_id = 'au' AND external_id LIKE 'CP-%'`))[0]!.n,
    ).toBe(100_000);
  }, 180_000);
});
