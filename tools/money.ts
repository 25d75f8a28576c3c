/**
 * Money as Stripe keeps it: an integer amount in the currency's minor unit, with its currency
 * (ISO 4217, lower case). How many minor units a major unit has follows Stripe's table
 * (https://docs.stripe.com/currencies#zero-decimal), which is not ISO 4217's in a few places:
 * zero-decimal currencies (JPY, KRW, ...) are sent as whole units; three-decimal ones (KWD,
 * BHD, ...) in thousandths; Stripe's "special cases" ISK, HUF and TWD keep two decimals in the
 * API (with the decimal part 00) although they are paid out in whole units.
 * @module
 */

/**
 * The most one payment link (a Stripe Checkout Session) can charge, in US dollars: Stripe takes
 * an amount of at most eight digits in minor units, 99999999 = $999,999.99
 * (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); a larger one is
 * refused by Stripe. A balance above it is paid in parts (checkout's amountUsd).
 */
export const MAX_CHECKOUT_USD = 999_999.99;

/** Stripe's zero-decimal currencies (amount 500 JPY = ¥500). */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
/** Stripe's three-decimal currencies (amount 5000 KWD = 5.000 KD). */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Minor-unit digits of a currency by Stripe's rules: 0, 2 or 3. */
export function exponent(currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

/** A decimal amount (e.g. 100.5 USD) in minor units (10050), rounded half away from zero. */
export function toMinor(major: number, currency: string): number {
  const f = 10 ** exponent(currency);
  // Round through a decimal string: 1.005 * 100 is 100.49999... in binary floating point.
  return Math.sign(major) * Math.round(Number(`${Math.abs(major)}e${Math.log10(f)}`));
}

/** Minor units (10050) as a decimal amount (100.5) for display and the JSON API. */
export function toMajor(minor: number, currency: string): number {
  const e = exponent(currency);
  return e === 0 ? minor : Number((minor / 10 ** e).toFixed(e));
}

/** `amountMinor` of `currency` shown as text, e.g. "$100.50", "¥500". */
export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: exponent(currency),
    maximumFractionDigits: exponent(currency),
  }).format(toMajor(minor, currency));
}
