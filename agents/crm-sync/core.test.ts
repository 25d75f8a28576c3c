import { describe, expect, it } from 'vitest';
import { detectDateOrder, parseAmount, parseDate, unwrapCell } from './cells.ts';
import { csvRecords, fingerprint, normalise, prepare, readCsv, toCustomer } from './core.ts';
import { csvField, decodeExport, detectDelimiter, parseCsv } from './csv.ts';
import { groupWarnings, whyNothing } from './report.ts';

describe('CSV reading', () => {
  it('handles quotes, escaped quotes, separators and line breaks inside quotes, CRLF, a BOM and blank or empty trailing rows', () => {
    const text = '\uFEFFid,name,notes\r\n1,"Reyes, Dana","said ""hi""\nthen left"\r\n2,Bo,\r\n\r\n3,"",x\r\n,,\r\n\r\n';
    expect(parseCsv(text)).toEqual([
      ['id', 'name', 'notes'],
      ['1', 'Reyes, Dana', 'said "hi"\nthen left'],
      ['2', 'Bo', ''],
      ['3', '', 'x'],
    ]);
  });
  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\n1,"open')).toThrow(/never closed .*line 2/);
  });
  it('round-trips fields through csvField', () => {
    const v = ['a,b', 'say "x"', 'two\nlines', 'plain'];
    expect(parseCsv(v.map(csvField).join(','))).toEqual([v]);
  });
  it.each([
    ['Customer ID,Name,Email\n1,"Doe; Jane",j@x.com\n', ','],
    ['Customer ID;Name;Email\n1;Doe, Jane;j@x.com\n2;Bo;b@x.com\n', ';'],
    ['Customer ID\tName\tEmail\n1\tDoe, Jane\tj@x.com\n', '\t'],
    ['Customer ID|Name|Email\n1|Doe; Jane|j@x.com\n', '|'],
  ])('detects the separator of %j', (text, d) => {
    expect(detectDelimiter(text)).toBe(d);
  });
  it('decodes UTF-8 (with and without BOM), UTF-16 and Windows-1252/Latin-1', () => {
    expect(decodeExport(Buffer.from('Jürgen', 'utf8'))).toEqual({ text: 'Jürgen', encoding: 'utf-8' });
    expect(decodeExport(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Zoë', 'utf8')]))).toEqual({
      text: 'Zoë',
      encoding: 'utf-8-bom',
    });
    expect(decodeExport(Buffer.from('Jürgen Zoë €5', 'latin1').map((b, i, a) => (i === a.length - 2 ? 0x80 : b)))).toEqual({
      text: 'Jürgen Zoë €5',
      encoding: 'windows-1252',
    });
    expect(decodeExport(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb', 'utf16le')]))).toEqual({
      text: 'a\tb',
      encoding: 'utf-16le',
    });
    expect(decodeExport(Buffer.from('id\tname', 'utf16le')).encoding).toBe('utf-16le');
  });
  it('refuses text with a NUL character (400 INVALID_TEXT naming the line), in any encoding', () => {
    for (const bytes of [
      Buffer.from('id,name\n1,a\u0000b\n', 'utf8'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\n1,a\u0000b', 'utf16le')]),
    ]) {
      expect(() => decodeExport(bytes)).toThrow(
        expect.objectContaining({ code: 'INVALID_TEXT', status: 400, details: { at: 'body', line: 2 } }),
      );
    }
  });
});

describe('spreadsheet quirks', () => {
  it.each([
    ['="00123"', '00123'],
    ["'0151 23456789", '0151 23456789'],
    ['  Dana\u00a0 Reyes  ', 'Dana Reyes'],
    ['12 Oak St\r\nApt 4', '12 Oak St, Apt 4'],
    ["O'Neil", "O'Neil"],
    ["'quoted", 'quoted'],
    ["'word'", "'word'"],
    ['Zoë \u200b', 'Zoë'],
    ['\ufeff\u200bDana', 'Dana'],
    ['Dana\u200dReyes', 'Dana\u200dReyes'],
  ])('unwraps %j', (raw, want) => expect(unwrapCell(raw)).toBe(want));

  it.each([
    ['1,234.56', false, 1234.56],
    ['1.234,56', true, 1234.56],
    ['1 234,56', true, 1234.56],
    ['$12,500', false, 12500],
    ['1,234', false, 1234],
    ['1,5', true, 1.5],
    ['12.50', false, 12.5],
    ["1'234.50", false, 1234.5],
  ])('reads the amount %j (decimal comma %s) as %s', (s, comma, n) => expect(parseAmount(s, comma)).toBe(n));

  it('reads Excel serial dates, ISO dates and month names', () => {
    expect(parseDate('44240')).toBe('2021-02-13');
    expect(parseDate('2021-02-13 00:00:00')).toBe('2021-02-13');
    expect(parseDate('13 Feb 2021')).toBe('2021-02-13');
    expect(parseDate('Feb 13, 2021')).toBe('2021-02-13');
    expect(parseDate('2021-13-02')).toBeUndefined();
    expect(parseDate('31/02/2021', 'dmy')).toBeUndefined();
  });

  it('detects a column’s date order from the column, and reports an ambiguous one', () => {
    expect(detectDateOrder(['13/02/2021', '03/04/2022'])).toMatchObject({ order: 'dmy' });
    expect(detectDateOrder(['3/7/2021', '9/15/2022'])).toMatchObject({ order: 'mdy' });
    expect(detectDateOrder(['13.02.2021', '03.04.2022'])).toMatchObject({ order: 'dmy' });
    expect(detectDateOrder(['01.02.2021'])).toMatchObject({ order: 'dmy' });
    expect(detectDateOrder(['03/04/2022', '05/06/2021'])).toEqual({ ambiguous: true, conflicting: false, example: '03/04/2022' });
    expect(detectDateOrder(['13/02/2021', '02/13/2021'])).toMatchObject({ conflicting: true });

    const day = prepare(csvRecords('Customer ID,Name,Customer Since\nA,Ann,13/02/2021\nB,Bo,03/04/2022\n'));
    expect(day.records.map((r) => r.customerSince)).toEqual(['2021-02-13', '2022-04-03']);
    expect(day.dateOrder).toEqual({ order: 'dmy', decidedBy: 'column' });

    const unsure = prepare(csvRecords('Customer ID,Name,Customer Since\nA,Ann,03/04/2022\nB,Bo,05/06/2021\nC,Cy,07/07/2020\n'));
    expect(unsure.records.map((r) => r.customerSince)).toEqual([undefined, undefined, '2020-07-07']);
    expect(groupWarnings(unsure.warnings)).toEqual([
      {
        kind: 'date_ambiguous',
        count: 2,
        examples: [expect.objectContaining({ row: 1, externalId: 'A', value: '03/04/2022' }), expect.objectContaining({ row: 2 })],
      },
    ]);
    const told = prepare(csvRecords('Customer ID,Name,Customer Since\nA,Ann,03/04/2022\n'), { dateOrder: 'mdy' });
    expect(told.records[0]!.customerSince).toBe('2022-03-04');
    expect(told.dateOrder).toEqual({ order: 'mdy', decidedBy: 'option' });
  });

  it('imports a quirk-laden export as meant', () => {
    const csv = [
      'Customer ID,Name,Phone,Ext,State,Zip,Customer Since,Lifetime Value',
      '="00123",\'Dana Reyes ,\'+1 512 555 0100,x12,ma,2134,44240,"1,234.50"',
      '="00124","Bo\nBrown",="5125550101",,TX,78701-1234,2/13/2021,$900',
      '1.23457E+11,Lost Id,,,,,,',
      ',,,,,,,',
    ].join('\r\n');
    const p = prepare(csvRecords(csv));
    expect(p.records.map(({ hash: _h, ...r }) => r)).toEqual([
      {
        externalId: '00123',
        name: 'Dana Reyes',
        phone: '+1 512 555 0100',
        phoneExtension: '12',
        state: 'MA',
        zip: '02134',
        customerSince: '2021-02-13',
        lifetimeValue: 1234.5,
        row: 1,
      },
      {
        externalId: '00124',
        name: 'Bo, Brown',
        phone: '5125550101',
        state: 'TX',
        zip: '78701-1234',
        customerSince: '2021-02-13',
        lifetimeValue: 900,
        row: 2,
      },
    ]);
    expect(p.conflicts).toEqual([expect.objectContaining({ reason: 'external_id_mangled', externalId: '1.23457E+11' })]);
    expect(toCustomer(p.records[0]!)).toMatchObject({
      phoneExtension: '12',
      notes: 'Customer since: 2021-02-13; Lifetime value: 1234.5',
      address: 'MA 02134',
    });
  });
});

describe('normalisation and fingerprints', () => {
  it('maps CenterPoint headers and normalises cosmetic differences away', () => {
    const a = normalise(
      {
        'Customer ID': 'CP-1',
        'First Name': ' Dana ',
        'Last Name': 'Reyes',
        Email: 'Dana@X.com',
        Phone: '(512) 555-0100',
        State: 'tx',
        'Customer Since': '3/7/2021',
      },
      { dateOrder: 'mdy' },
    );
    expect(a).toEqual({
      externalId: 'CP-1',
      name: 'Dana Reyes',
      email: 'dana@x.com',
      phone: '(512) 555-0100',
      state: 'TX',
      customerSince: '2021-03-07',
    });
    const b = normalise({
      customer_id: 'CP-1',
      name: 'Dana   Reyes',
      email: 'dana@x.com',
      phone: '+1 512.555.0100',
      state: 'TX',
      created: '2021-03-07',
    });
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
    'C3,\u200B,c3@x.com',
    'C4,Cy,not-an-email',
    'C2,Bob,bob@x.com',
    'C1,Ann Other,ann@x.com',
    'C5,Di,di@x.com',
  ].join('\n');

  it('reports each conflict with its row and keeps the first of a duplicated id', () => {
    const p = prepare(csvRecords(csv));
    expect(p.records.map((r) => r.externalId)).toEqual(['C1', 'C2', 'C4', 'C5']);
    expect(p.duplicates).toBe(1);
    expect(p.conflicts.map((c) => [c.row, c.externalId, c.reason])).toEqual([
      [3, undefined, 'missing_external_id'],
      [4, 'C3', 'missing_name'],
      [7, 'C1', 'duplicate_external_id'],
    ]);
    // A mistyped email keeps the customer (as the API does), with a warning to correct it.
    expect(p.records.find((r) => r.externalId === 'C4')).toMatchObject({ name: 'Cy', email: 'not-an-email' });
    expect(p.warnings).toContainEqual(expect.objectContaining({ kind: 'email_invalid', row: 5, externalId: 'C4', value: 'not-an-email' }));
  });

  it("reads Excel's sep= line and the headers offices write ('Customer #', 'Mobile Phone')", () => {
    const file = readCsv('\uFEFFsep=;\r\nCustomer #;Full Name;Mobile Phone;E-mail\r\nC-17;Ana Ruiz;(303) 555-0142;ana@example.com\r\n');
    expect(file.delimiter).toBe(';');
    const [r] = prepare(file.records).records;
    expect(r).toMatchObject({ externalId: 'C-17', name: 'Ana Ruiz', phone: '(303) 555-0142', email: 'ana@example.com' });
    // Quoted, and naming a comma although semicolons would split the header too.
    expect(readCsv('"sep=,"\nCust No,Name\nA1,Bo;b\n').records).toEqual([{ 'Cust No': 'A1', Name: 'Bo;b' }]);
  });

  it('maps a record to the CRM customer shape', () => {
    const [r] = prepare([
      { id: 'C9', name: 'Eve', street: '1 Main St', city: 'Austin', state: 'tx', zip: '78701', company: 'Eve Co', status: 'Active' },
    ]).records;
    expect(toCustomer(r!)).toEqual({
      externalId: 'C9',
      name: 'Eve',
      email: null,
      phone: null,
      address: '1 Main St, Austin, TX 78701',
      notes: 'Company: Eve Co; Status: active',
    });
  });

  it('says in one sentence why an export imports nothing', () => {
    const wrongSep = readCsv('Customer ID^Name\nA^Ann\n');
    expect(whyNothing(wrongSep, 1, prepare(wrongSep.records))).toMatch(
      /^No column holds a customer id: the header, split on comma \(','\), has 'Customer ID\^Name'; .*single column .*comma, semicolon, tab and pipe/,
    );
    const noId = readCsv('Name;Email\nAnn;a@x.com\n');
    expect(whyNothing(noId, 1, prepare(noId.records))).toMatch(
      /^No column holds a customer id: the header, split on semicolon \(';'\), has 'Name', 'Email'/,
    );
    const allBad = readCsv('Customer ID,Name\n,Ann\n,Bo\n');
    expect(whyNothing(allBad, 2, prepare(allBad.records))).toBe(
      'None of the 2 rows could be imported: 2 missing external id (e.g. Row 1 has no customer id.).',
    );
    expect(whyNothing(readCsv('Customer ID,Name\n'), 0, prepare([]))).toMatch(/header row .* but no data rows/);
    // A one-line export of megabytes: the message quotes the start of it, not all of it.
    expect(whyNothing(readCsv(`${'a'.repeat(100_000)}\n`), 0, prepare([]))!.length).toBeLessThan(300);
  });

  it('reads a header name given twice as one field (first non-empty cell) and says so; cells past the header are flagged, not dropped silently', () => {
    const f = readCsv(
      'Customer ID,Name,Email,Email\nDH-1,Dup One,first@example.com,\nDH-2,Dup Two,,second@example.com\nDH-3,Dup Three,a@x.com,b@x.com\n',
    );
    expect(f.header).toEqual(['Customer ID', 'Name', 'Email']);
    expect(f.records.map((r) => r.Email)).toEqual(['first@example.com', 'second@example.com', 'a@x.com']);
    expect(prepare(f.records).records.map((r) => r.email)).toEqual(['first@example.com', 'second@example.com', 'a@x.com']);
    expect(f.warnings).toEqual([
      { kind: 'duplicate_column', value: 'Email', message: expect.stringContaining("names 'Email' 2 times (columns 3, 4)") },
      {
        kind: 'duplicate_column_values_differ',
        row: 3,
        value: 'b@x.com',
        message: expect.stringContaining("'a@x.com' and 'b@x.com'; the first is read"),
      },
    ]);

    const ragged = readCsv('Customer ID,Name,Email\nR-1,Ragged One,r1@example.com,EXTRA,MORE\nR-2,Two,r2@example.com,,\n');
    expect(ragged.records[0]).toEqual({ 'Customer ID': 'R-1', Name: 'Ragged One', Email: 'r1@example.com' });
    // Trailing empty cells (a spreadsheet's blank columns) are no news.
    expect(ragged.warnings).toEqual([
      {
        kind: 'extra_cells',
        row: 1,
        value: 'EXTRA,MORE',
        message: expect.stringMatching(/^Row 1 has 5 cells for a 3-column header; 'EXTRA', 'MORE' past the last column are not read/),
      },
    ]);
  });
});
