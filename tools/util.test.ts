import { describe, expect, it } from 'vitest';
import { emailSubject, webUrl } from './util.ts';

describe('fields that reach a header or a browser', () => {
  it('refuses a line break in an email subject (it would start another header)', () => {
    for (const s of ['x\r\nBcc: evil@example.com', 'one\ntwo', 'one\rtwo', 'a\u2028b', 'a\u0085b'])
      expect(emailSubject.safeParse(s).error?.issues[0]?.message, JSON.stringify(s)).toMatch(/one line/);
    expect(emailSubject.parse('  Your roof estimate  ')).toBe('Your roof estimate');
  });

  it('takes only http(s) addresses where a browser is sent', () => {
    for (const u of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'ftp://x.example/'])
      expect(webUrl.safeParse(u).error?.issues[0]?.message, u).toBe('must be an http:// or https:// URL');
    for (const u of ['https://roof.example/paid', 'http://localhost:3000/board?paid=1']) expect(webUrl.parse(u)).toBe(u);
  });
});
