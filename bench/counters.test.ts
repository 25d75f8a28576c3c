import { describe, expect, it } from 'vitest';
import { splitStatements } from './counters.ts';

describe('splitStatements', () => {
  it('splits on top-level semicolons only', () => {
    expect(splitStatements('SELECT 1')).toEqual(['SELECT 1']);
    expect(splitStatements('BEGIN; SELECT 1; COMMIT;')).toHaveLength(3);
    expect(splitStatements(`SELECT ';' AS a; SELECT "x;y" FROM t`)).toHaveLength(2);
    expect(splitStatements('SELECT 1 -- a; comment\n; SELECT 2 /* b; */')).toHaveLength(2);
    expect(splitStatements('CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; SELECT f()')).toHaveLength(2);
    expect(splitStatements('DO $body$ BEGIN PERFORM 1; END $body$')).toHaveLength(1);
  });
});
