/**
 * Numbers as they arrive in text — a query string (`?limit=20`), an environment variable — or
 * in JSON (a tool call's `{"limit": 20}`): one reading for all of them. Text must be plain
 * decimal digits (`20`, and for decimals `1.5`; spaces around are ignored); anything else
 * that `Number()` would have read — `""` as 0, `0x10` as 16, `1e1` as 10, `-1` — is refused with a message naming the field
 * (a 400 on the API, a configuration error at start), never silently read as another number.
 * JSON numbers pass as they are, checked against the same bounds. In OpenAPI (the `input` side
 * of `z.toJSONSchema`) each shows as `integer` or `number` with its minimum, maximum and default.
 * @module
 */
import { z } from 'zod';

const WHOLE = /^\s*\d{1,16}\s*$/;
const DECIMAL = /^\s*\d{1,15}(?:\.\d{1,15})?\s*$/;

const fromText = (pattern: RegExp) => (v: unknown) => (typeof v === 'string' && pattern.test(v) ? Number(v) : v);

const range = (min: number, max: number) =>
  max >= Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`;

/** Above `max`: where there is no practical maximum, said as too large. */
const above = (min: number, max: number) => (max >= Number.MAX_SAFE_INTEGER ? `is too large: must be at most ${max}` : range(min, max));

/** Decimal digits too many to read exactly (more than 16): a number too large, not a malformed one. */
const TOO_LONG = /^\s*\d{17,}(?:\.\d+)?\s*$/;

/** A parameter repeated in a query (`?limit=20&limit=30`) arrives as a list. */
const wrongType = (what: string, max: number) => (issue: { code?: string; input?: unknown }) =>
  issue.code !== 'invalid_type'
    ? undefined
    : Array.isArray(issue.input)
      ? 'must be given once'
      : typeof issue.input === 'string' && TOO_LONG.test(issue.input)
        ? `is too large: must be at most ${max}`
        : `must be ${what}`;

/**
 * A whole number in [min, max]: `20` or `"20"`. With `fallback`, the value when the field is
 * absent; without it, absent means undefined.
 */
export function wholeNumber(min: number, max: number, fallback: number): z.ZodType<number, unknown>;
export function wholeNumber(min: number, max: number): z.ZodType<number | undefined, unknown>;
export function wholeNumber(min: number, max: number, fallback?: number): z.ZodType<number | undefined, unknown> {
  const n = z
    .number({ error: wrongType('a whole number, written in decimal digits', max) })
    // Past 2^53 a number is not read exactly: zod's int() says too_big there.
    .int({ error: (issue) => (issue.code === 'too_big' ? above(min, max) : 'must be a whole number, written in decimal digits') })
    .min(min, range(min, max))
    .max(max, above(min, max));
  return z.preprocess(fromText(WHOLE), fallback === undefined ? n.optional() : n.default(fallback));
}

/** A number in [min, max], fractions allowed: `1.5` or `"1.5"` (no sign, no exponent). */
export function decimalNumber(min: number, max: number, fallback: number): z.ZodType<number, unknown>;
export function decimalNumber(min: number, max: number): z.ZodType<number | undefined, unknown>;
export function decimalNumber(min: number, max: number, fallback?: number): z.ZodType<number | undefined, unknown> {
  const n = z
    .number({ error: wrongType('a number, written in decimal digits', max) })
    .min(min, range(min, max))
    .max(max, above(min, max));
  return z.preprocess(fromText(DECIMAL), fallback === undefined ? n.optional() : n.default(fallback));
}

/**
 * An amount in US dollars from `min` to `max`, in whole cents: 200.004 is a 400, not stored as
 * 200.00 (every money column is numeric(12,2)) while a provider is sent 200.004, nor an estimate
 * of 0.001 stored as $0 and then "paid in full". Stripe and Google Ads take whole cents too.
 */
export const usd = (min: number, max: number) =>
  z
    .number()
    .min(min)
    .max(max)
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'must be in whole cents (at most two decimal places)');
