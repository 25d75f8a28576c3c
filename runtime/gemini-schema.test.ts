import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { GeminiChat } from './gemini.ts';
import { geminiSchemaViolations, toGeminiParameters, toGeminiSchema } from './gemini-schema.ts';
import { modelError, ModelAnswerError, retryDelayMs } from './model-outcomes.ts';
import { RateLimitedError, TransientError } from './errors.ts';

const json = (s: z.ZodType) => toJsonSchema(s as never);

describe('toGeminiSchema', () => {
  const schema = z.object({
    area: z.number().positive().describe('Plan area'),
    count: z.number().int().positive(),
    tags: z.record(z.string(), z.number()),
    byMaterial: z.record(z.enum(['metal', 'tile']), z.number()),
    note: z.string().nullable(),
    site: z.url(),
    when: z.iso.date(),
    at: z.iso.datetime(),
    id: z.uuid(),
    email: z.union([z.email(), z.literal('')]),
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('http'), url: z.string() }),
      z.object({ kind: z.literal('csv'), text: z.string() }),
    ]),
    pair: z.tuple([z.string(), z.number()]),
    level: z.literal(3),
    limit: z.number().int().min(1).max(50).default(10),
  });

  it('reduces every keyword Gemini refuses to its subset', () => {
    const out = toGeminiParameters(json(schema))!;
    expect(geminiSchemaViolations(out)).toEqual([]);
    const p = out.properties as Record<string, any>;
    expect(p.area).toEqual({ type: 'number', description: 'Plan area. Must be greater than 0.', minimum: 0 });
    expect(p.count).toEqual({ type: 'integer', minimum: 1 });
    expect(p.tags).toBeUndefined(); // a free-form record has no Gemini form
    expect(out.description).toContain('Free-form field(s) not described here: tags.');
    expect(p.byMaterial).toEqual({
      type: 'object',
      properties: { metal: { type: 'number' }, tile: { type: 'number' } },
      required: ['metal', 'tile'],
    });
    expect(p.note).toEqual({ type: 'string', nullable: true });
    expect(p.site).toEqual({ type: 'string', description: 'Format: uri.' });
    expect(p.when.format).toBeUndefined();
    expect(p.at.format).toBe('date-time');
    expect(p.id).toEqual({ type: 'string', description: 'Format: uuid.' });
    expect(p.email.anyOf).toBeDefined();
    expect(JSON.stringify(p.email)).not.toContain('""');
    expect(p.source.anyOf.map((b: any) => b.properties.kind)).toEqual([
      { type: 'string', enum: ['http'], format: 'enum' },
      { type: 'string', enum: ['csv'], format: 'enum' },
    ]);
    expect(p.pair).toMatchObject({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] }, minItems: 2, maxItems: 2 });
    expect(p.level).toEqual({ type: 'number', description: 'Always 3.' });
    expect(p.limit).toEqual({ type: 'integer', minimum: 1, maximum: 50, default: 10 });
    // A field with a default is not the model's to give.
    expect(out.required).not.toContain('limit');
    expect(out.required).toContain('area');
  });

  it('is idempotent and inlines $ref', () => {
    const once = toGeminiSchema(json(schema));
    expect(toGeminiSchema(once)).toEqual(once);
    const withRef = {
      type: 'object',
      properties: { a: { $ref: '#/$defs/A' } },
      $defs: { A: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: false } },
    };
    expect(toGeminiSchema(withRef)).toEqual({
      type: 'object',
      properties: { a: { type: 'object', properties: { b: { type: 'string' } } } },
    });
  });

  it('gives no parameters for a tool without any field Gemini can express', () => {
    expect(toGeminiParameters(json(z.object({})))).toBeUndefined();
    expect(toGeminiParameters(json(z.object({ extra: z.record(z.string(), z.unknown()) })))).toBeUndefined();
  });
});

describe('GeminiChat request', () => {
  const chat = new GeminiChat({ model: 'gemini-3.5-flash', apiKey: 'not-a-real-key', maxRetries: 0 });

  it('converts structured-output schemas and bound tools where the request is built', () => {
    const params = chat.invocationParams({
      responseSchema: json(z.object({ n: z.number().positive(), m: z.record(z.string(), z.string()) })),
    } as never);
    expect(params.generationConfig?.responseSchema).toEqual({
      type: 'object',
      properties: { n: { type: 'number', minimum: 0, description: 'Must be greater than 0.' } },
      required: ['n'],
      description: 'Free-form field(s) not described here: m.',
    });
    const tools = chat.invocationParams({
      tools: [
        { functionDeclarations: [{ name: 'f', description: 'd', parameters: json(z.object({ id: z.uuid(), n: z.number().positive() })) }] },
      ],
    } as never).tools as any[];
    const decl = tools[0].functionDeclarations[0];
    expect(geminiSchemaViolations(decl.parameters)).toEqual([]);
  });
});

describe('model outcomes', () => {
  it('reads RetryInfo delays in both encodings', () => {
    expect(retryDelayMs([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '27s' }])).toBe(27_000);
    expect(retryDelayMs([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.5s' }])).toBe(500);
    expect(retryDelayMs([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: 3, nanos: 5e8 } }])).toBe(3500);
    expect(retryDelayMs([{ '@type': 'type.googleapis.com/google.rpc.Help' }])).toBeUndefined();
  });

  it('maps what the client throws to the error class that decides', () => {
    const fetchError = (status: number, errorDetails?: unknown) =>
      Object.assign(new Error(`[GoogleGenerativeAI Error]: Error fetching from x: [${status}]`), { status, errorDetails });
    const limited = modelError(fetchError(429, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '27s' }]));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(27_000);
    expect((modelError(fetchError(429)) as RateLimitedError).retryAfterMs).toBe(60_000);
    expect(modelError(fetchError(503))).toBeInstanceOf(TransientError);
    expect(modelError(fetchError(503))?.code).toBe('MODEL_UNAVAILABLE');
    expect(modelError(fetchError(400))).toMatchObject({ code: 'MODEL_REQUEST_INVALID', retryable: false });
    expect(modelError(fetchError(404))).toMatchObject({ code: 'MODEL_UNKNOWN', retryable: false });
    expect(modelError(fetchError(403))).toMatchObject({ code: 'MODEL_AUTH', retryable: false });
    expect(modelError(new Error('[GoogleGenerativeAI Error]: Error fetching from x: fetch failed'))).toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      retryable: true,
    });
    const empty = Object.assign(new Error('The model returned no content.'), {
      name: 'EmptyContentError',
      finishReason: 'RECITATION',
      blockReason: undefined,
    });
    expect(modelError(empty)).toBeInstanceOf(ModelAnswerError);
    expect(modelError(empty)?.code).toBe('MODEL_BLOCKED');
    // Not the model's: agent code inside a tool-calling step is left to coerceError.
    expect(modelError(new Error('boom'))).toBeUndefined();
  });
});
