import { describe, expect, it } from 'vitest';
import { exponent, formatMoney, toMajor, toMinor } from './money.ts';

describe('money by Stripe currency rules', () => {
  it('uses 2 decimals by default, 0 for zero-decimal currencies and 3 for three-decimal ones', () => {
    expect([exponent('usd'), exponent('EUR'), exponent('jpy'), exponent('krw'), exponent('kwd'), exponent('isk')]).toEqual([
      2, 2, 0, 0, 3, 2,
    ]);
  });
  it('converts between decimal amounts and minor units without binary rounding errors', () => {
    expect(toMinor(1.005, 'usd')).toBe(101);
    expect(toMinor(8400.5, 'usd')).toBe(840050);
    expect(toMinor(500, 'jpy')).toBe(500);
    expect(toMinor(5, 'kwd')).toBe(5000);
    expect(toMajor(840050, 'usd')).toBe(8400.5);
    expect(toMajor(15000, 'jpy')).toBe(15000);
    expect(toMajor(5125, 'kwd')).toBe(5.125);
    expect(formatMoney(10050, 'usd')).toBe('$100.50');
    expect(formatMoney(500, 'jpy')).toBe('¥500');
  });
});
