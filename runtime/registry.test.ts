/** unreadField: the first field a zod schema would drop, at any depth, with where it is. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adManagerInput } from '../agents/ad-manager/index.ts';
import { emailOutreachInput } from '../agents/email-outreach/index.ts';
import { createTaskBody } from './service.ts';
import { unreadField } from './registry.ts';

describe('unreadField', () => {
  const schema = z.object({
    name: z.string(),
    budget: z.object({ maxCostUsd: z.number().optional() }).strict().optional(),
    steps: z.array(z.object({ delayDays: z.number(), subject: z.string() })).default([]),
    extra: z.looseObject({ note: z.object({ text: z.string() }).optional() }).optional(),
    tags: z.record(z.string(), z.object({ colour: z.string() })).optional(),
    when: z
      .string()
      .transform((s) => new Date(s))
      .optional(),
  });

  it('finds nothing in a value that uses only the schema’s fields, at every depth', () => {
    const value = {
      name: 'a',
      budget: { maxCostUsd: 1 },
      steps: [{ delayDays: 1, subject: 's' }],
      extra: { anything: { at: 'all' }, note: { text: 't' } },
      tags: { roof: { colour: 'red' } },
      when: '2026-01-01',
    };
    expect(unreadField(schema, value)).toBeUndefined();
  });

  it.each([
    [{ name: 'a', nmae: 'b' }, [], 'nmae', ['name', 'budget', 'steps', 'extra', 'tags', 'when']],
    [{ name: 'a', budget: { maxCots: 1 } }, ['budget'], 'maxCots', ['maxCostUsd']],
    [
      {
        name: 'a',
        steps: [
          { delayDays: 1, subject: 's' },
          { delayDays: 2, subjet: 's' },
        ],
      },
      ['steps', 1],
      'subjet',
      ['delayDays', 'subject'],
    ],
    [{ name: 'a', extra: { note: { text: 't', txet: 'u' } } }, ['extra', 'note'], 'txet', ['text']],
    [{ name: 'a', tags: { roof: { color: 'red' } } }, ['tags', 'roof'], 'color', ['colour']],
  ])('finds %j: under %j, the field %s, with the fields read there', (value, path, field, accepted) => {
    expect(unreadField(schema, value)).toEqual({ path, field, accepted });
  });

  it('leaves path parameters merged into the body to the route, and a value that is not a JSON object to the schema', () => {
    expect(unreadField(schema, { name: 'a', id: 'x' }, ['id'])).toBeUndefined();
    expect(unreadField(schema, Buffer.from('{}'))).toBeUndefined();
    expect(unreadField(schema, [1, 2])).toBeUndefined();
    expect(unreadField(schema, { name: 'a', budget: 'lots' })).toBeUndefined();
  });

  it('leaves the other fields of an object with a catchall to it, and still checks its known fields', () => {
    const prices = z.object({ currency: z.object({ code: z.string() }) }).catchall(z.number());
    expect(unreadField(prices, { currency: { code: 'USD' }, shingles: 90, metal: 450 })).toBeUndefined();
    expect(unreadField(prices, { currency: { cdoe: 'USD' } })).toEqual({ path: ['currency'], field: 'cdoe', accepted: ['code'] });
    expect(unreadField(z.strictObject({ a: z.number() }), { a: 1, b: 2 })).toEqual({ path: [], field: 'b', accepted: ['a'] });
  });

  it('reads a union as the member the value is', () => {
    const audience = (a: object) => unreadField(emailOutreachInput, { audience: a });
    expect(audience({ from: 'contacts', role: 'owner' })).toBeUndefined();
    expect(audience({ from: 'leads', stage: 'new' })).toBeUndefined();
    expect(audience({ from: 'contacts', roel: 'owner' })).toMatchObject({ path: ['audience'], field: 'roel' });
  });

  it('finds a misspelt field inside an agent’s input and a task’s budget, which zod would drop or refuse without naming', () => {
    // The ad manager's stats per campaign: a misspelt ROAS would leave the campaign without one.
    expect(unreadField(adManagerInput, { stats: { 'Spring roofs': { spendUsd: 40, roaS: 3 } } })).toEqual({
      path: ['stats', 'Spring roofs'],
      field: 'roaS',
      accepted: ['spendUsd', 'roas', 'cpaUsd', 'conversionValueUsd', 'minDailyUsd', 'maxDailyUsd'],
    });
    expect(unreadField(createTaskBody, { input: {}, budget: { maxCost: 1 } })).toMatchObject({ path: ['budget'], field: 'maxCost' });
  });
});
