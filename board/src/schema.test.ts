import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './api.ts';
import { initialValue, issuesToErrors, toInput, validate, widgetOf } from './schema.ts';
import { parseSse } from './sse.ts';
import { readAvailability, readDashboard } from './revenueData.ts';

const estimator: JsonSchema = {
  type: 'object',
  properties: {
    roofAreaSqFt: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
    pitch: { type: 'string', pattern: '^(\\d{1,2})\\/12$' },
    material: { type: 'string', enum: ['three_tab_shingle', 'metal'] },
    layersToRemove: { type: 'integer', minimum: 0, maximum: 3, default: 1 },
    rush: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string', minLength: 2 } },
  },
  required: ['roofAreaSqFt', 'pitch', 'material'],
};

describe('forms from JSON Schema', () => {
  it('picks a widget per field and starts from the defaults', () => {
    expect(['roofAreaSqFt', 'pitch', 'material', 'layersToRemove', 'rush', 'tags'].map((k) => widgetOf(estimator.properties![k]!))).toEqual(
      ['number', 'text', 'select', 'integer', 'checkbox', 'array'],
    );
    expect(initialValue(estimator)).toEqual({ material: 'three_tab_shingle', layersToRemove: 1, tags: [] });
  });

  it('reports required, bounds, pattern and array item errors by field path', () => {
    const errors = validate(estimator, { roofAreaSqFt: 0, pitch: '6-12', material: 'metal', layersToRemove: 4, tags: ['ok', 'x'] });
    expect(errors).toEqual({
      roofAreaSqFt: 'Must be more than 0',
      pitch: expect.stringContaining('Does not match'),
      layersToRemove: 'Must be at most 3',
      'tags.1': 'At least 2 characters',
    });
    expect(validate(estimator, { material: 'metal' })).toMatchObject({ roofAreaSqFt: 'Required', pitch: 'Required' });
    expect(validate(estimator, { roofAreaSqFt: 2400, pitch: '6/12', material: 'metal' })).toEqual({});
  });

  it('sends numbers as numbers and leaves out empty optionals', () => {
    expect(toInput(estimator, { roofAreaSqFt: '2400', pitch: '6/12', material: 'metal', tags: [] })).toEqual({
      roofAreaSqFt: 2400,
      pitch: '6/12',
      material: 'metal',
      tags: [],
    });
  });

  it('puts the server’s zod issues next to their fields', () => {
    expect(
      issuesToErrors([
        { path: ['input', 'pitch'], message: 'too steep' },
        { path: ['roofAreaSqFt'], message: 'too big' },
      ]),
    ).toEqual({ pitch: 'too steep', roofAreaSqFt: 'too big' });
  });
});

describe('server-sent events over fetch', () => {
  it('parses whole events, skips comments and keeps a partial one for the next chunk', () => {
    const { events, rest } = parseSse(
      'id: 3\nevent: step\ndata: {"name":"price","state":"finished"}\n\n: keep-alive\n\nid: 4\nevent: status\ndata: {"sta',
    );
    expect(events).toEqual([{ id: '3', event: 'step', data: { name: 'price', state: 'finished' } }]);
    expect(parseSse(`${rest}tus":"succeeded"}\n\n`).events).toEqual([{ id: '4', event: 'status', data: { status: 'succeeded' } }]);
  });
});

describe('revenue figures', () => {
  it('reads the dashboard, the monthly summary and the self-test into chartable series', () => {
    const d = readDashboard(
      {
        revenue: { totalUsd: 1200, payments: 3 },
        pipeline: [
          { stage: 'new', leads: 4, valueUsd: 8000 },
          { stage: 'won', leads: 1, valueUsd: 1200 },
        ],
        openPipelineValueUsd: 8000,
        conversion: { leads: 5, reachedQualified: 0.6, reachedEstimate: 0.4, winRate: 0.5, leadToWon: 0.2 },
      },
      {
        mrrUsd: 100,
        byMonth: [
          { month: '2026-10', totalUsd: 500, payments: 1 },
          { month: '2026-11', totalUsd: 700, payments: 2 },
        ],
      },
    );
    expect(d.revenue).toMatchObject({ labels: ['2026-10', '2026-11'], values: [500, 700] });
    expect(d.pipeline).toMatchObject({ labels: ['new', 'won'], values: [8000, 1200], values2: [4, 1] });
    expect(d.conversion).toMatchObject({
      labels: ['reachedQualified', 'reachedEstimate', 'winRate', 'leadToWon'],
      values: [60, 40, 50, 20],
    });
    expect(d.kpis.map((k) => k.label)).toEqual(['Revenue', 'Payments', 'MRR', 'Open pipeline', 'Win rate']);
    expect(
      readAvailability({
        endpoints: [
          { name: 'a', path: '/x', ok: true },
          { name: 'b', path: '/y', ok: false },
        ],
      }),
    ).toMatchObject({ operational: 1, total: 2 });
  });
});
