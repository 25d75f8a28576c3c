import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decimalNumber, wholeNumber } from './numbers.ts';

const issue = (s: z.ZodType, v: unknown) => s.safeParse(v).error?.issues[0]?.message;

describe('numbers from text or JSON', () => {
  it('reads decimal digits, and JSON numbers as they are', () => {
    const limit = wholeNumber(1, 200, 50);
    expect(limit.parse('20')).toBe(20);
    expect(limit.parse(' 20 ')).toBe(20);
    expect(limit.parse(20)).toBe(20);
    expect(limit.parse(undefined)).toBe(50);
    expect(wholeNumber(0, 10).parse(undefined)).toBeUndefined();
    expect(decimalNumber(0, 120, 20).parse('1.5')).toBe(1.5);
    expect(decimalNumber(0, 120, 20).parse(0.25)).toBe(0.25);
  });

  it('refuses what Number() would have read as another number, saying what it must be', () => {
    const limit = wholeNumber(1, 200, 50);
    expect(issue(limit, ['1', '2'])).toBe('must be given once');
    for (const v of ['', '0x10', '1e1', '-1', '+1', '2.5', '1_000', 'Infinity', 'NaN', '20abc', 2.5, true, null])
      expect(issue(limit, v), JSON.stringify(v)).toBe('must be a whole number, written in decimal digits');
    for (const v of ['', '0x10', '1e1', '-1', '.5', '1.', '1,5'])
      expect(issue(decimalNumber(0, 120), v), v).toBe('must be a number, written in decimal digits');
    expect(issue(limit, '0')).toBe('must be between 1 and 200');
    expect(issue(limit, 201)).toBe('must be between 1 and 200');
    // Digits, but too many: said as too large (not as malformed), whether 16 digits or 23.
    for (const v of ['9999999999999999', '99999999999999999999999'])
      expect(issue(wholeNumber(0, Number.MAX_SAFE_INTEGER), v), v).toBe('is too large: must be at most 9007199254740991');
    expect(issue(limit, '99999999999999999999999')).toBe('is too large: must be at most 200');
    expect(wholeNumber(0, Number.MAX_SAFE_INTEGER).parse('9007199254740990')).toBe(9007199254740990);
    expect(issue(decimalNumber(0.5, 1), '0.4')).toBe('must be between 0.5 and 1');
  });

  it('shows in JSON Schema (OpenAPI) as what it reads: the type, bounds and default', () => {
    const js = z.toJSONSchema(z.object({ limit: wholeNumber(1, 200, 50), after: wholeNumber(0, 9), wait: decimalNumber(0, 120, 20) }), {
      io: 'input',
    }) as { properties: Record<string, unknown>; required?: string[] };
    expect(js.properties.limit).toEqual({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(js.properties.after).toEqual({ type: 'integer', minimum: 0, maximum: 9 });
    expect(js.properties.wait).toEqual({ type: 'number', minimum: 0, maximum: 120, default: 20 });
    expect(js.required ?? []).toEqual([]);
  });
});
