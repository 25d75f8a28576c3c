import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('config', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({}, '1.2.3');
    expect(c).toMatchObject({ PORT: 3000, BRAINOPS_DATA_DIR: './.brainops', version: '1.2.3', WORKER_CONCURRENCY: 4 });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('stops with one sentence naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' }, '1')).toThrow(
      /^PORT must be a whole number, written in decimal digits \(got "abc"\)\. Fix it/,
    );
    // Only decimal digits: hex, signs, exponents and fractions are refused, with the same sentence.
    for (const v of ['0x10', '+7', '1e3', '1.5'])
      expect(() => loadConfig({ RETENTION_EVENTS_DAYS: v }, '1')).toThrow(
        `RETENTION_EVENTS_DAYS must be a whole number, written in decimal digits (got "${v}")`,
      );
    expect(loadConfig({ RETENTION_EVENTS_DAYS: ' 7 ' }, '1').RETENTION_EVENTS_DAYS).toBe(7);
    // Amounts too: an empty-looking or hexadecimal budget is refused, never read as 0 or 16.
    expect(() => loadConfig({ TENANT_DAILY_BUDGET_USD: '0x10' }, '1')).toThrow(
      'TENANT_DAILY_BUDGET_USD must be a number, written in decimal digits',
    );
    expect(loadConfig({ TENANT_DAILY_BUDGET_USD: '12.5' }, '1').TENANT_DAILY_BUDGET_USD).toBe(12.5);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' }, '1')).toThrow(
      /^DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    );
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, '1')).toThrow(/^LOG_LEVEL must be one of "fatal"/);
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({ BRAINOPS_ADMIN_KEY: 'short-secret' }, '1');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/^BRAINOPS_ADMIN_KEY must be at least 16 characters/);
      expect((err as Error).message).not.toContain('short-secret');
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', GEMINI_API_KEY: '' }, '1').REDIS_URL).toBeUndefined();
  });
});
