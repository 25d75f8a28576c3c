import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, urlPasswords } from './logger.ts';

describe('logger', () => {
  it('redacts secret values and secret-named fields', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = createLogger({
      level: 'info',
      secrets: ['sk_test_value_12345', ...urlPasswords('postgres://u:p%40ssw0rd@h/db')],
      destination: sink,
    });
    log.info({ apiKey: 'whatever', headers: { authorization: 'Bearer abc' } }, 'calling with sk_test_value_12345 and p@ssw0rd');
    const out = lines.join('');
    expect(out).not.toContain('sk_test_value_12345');
    expect(out).not.toContain('p@ssw0rd');
    expect(out).not.toContain('whatever');
    expect(out).not.toContain('Bearer abc');
    expect(out).toContain('[REDACTED]');
  });
});
