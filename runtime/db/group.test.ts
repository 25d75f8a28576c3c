import { describe, expect, it } from 'vitest';
import { groupStatement, type Columns } from './group.ts';

const COLUMNS: Columns = [
  ['i', 'int'],
  ['id', 'uuid'],
];
const body = (input: string, extra: (k: number) => string) => `WITH input AS (${input}) SELECT i, ${extra(1)}::int AS cap FROM input`;

describe('groupStatement', () => {
  it('lists a small group as VALUES of scalar parameters, one statement per size, extras after the rows', () => {
    const q = groupStatement(
      't_small',
      COLUMNS,
      [
        [0, 'a'],
        [1, 'b'],
      ],
      body,
      [7],
    );
    expect(q.name).toBe('t_small_2');
    expect(q.text).toBe(
      'WITH input AS (SELECT * FROM (VALUES ($1::int, $2::uuid), ($3::int, $4::uuid)) AS x(i, id)) SELECT i, $5::int AS cap FROM input',
    );
    expect(q.values).toEqual([0, 'a', 1, 'b', 7]);
    expect(groupStatement('t_small', COLUMNS, [[0, 'a']], body, [7]).name).toBe('t_small_1');
  });

  it('sends a group of more than 8 through unnest of one array per column', () => {
    const rows = Array.from({ length: 9 }, (_, i) => [i, `id${i}`]);
    const q = groupStatement('t_large', COLUMNS, rows, body, [7]);
    expect(q.name).toBe('t_large_n');
    expect(q.text).toBe('WITH input AS (SELECT * FROM unnest($1::int[], $2::uuid[]) AS x(i, id)) SELECT i, $3::int AS cap FROM input');
    expect(q.values).toEqual([rows.map((r) => r[0]), rows.map((r) => r[1]), 7]);
  });
});
