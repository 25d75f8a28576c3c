/**
 * Counts, from the client side, what the benchmarks send to their engines: every PostgreSQL
 * statement and transaction per pool owner (BrainOps' own pool, the queue's pool on BullMQ's
 * Postgres backend, the LangGraph checkpointer's pool), and every Redis command.
 *
 * How: `pg.Client.prototype.query` and ioredis' `sendCommand` are wrapped once, in this
 * process only; product code is untouched. Each `query` call is a round trip; a text holding
 * several `;`-separated statements (simple protocol) counts as that many statements. BEGIN,
 * COMMIT, ROLLBACK and `set_config` calls are statements like any other. A transaction is an
 * explicit BEGIN … COMMIT/ROLLBACK, or a query sent outside of one (its own implicit
 * transaction; a multi-statement text is one), tracked per connection. A client belongs to the pool it was created by
 * (`registerPool`); anything else is counted as `other`.
 * @module
 */
import pg from 'pg';
import { Cluster, Redis } from 'ioredis';

/** Who sent a statement. */
export type Owner = 'brainops' | 'queue' | 'langgraph' | 'other';

export interface Tally {
  statements: number;
  transactions: number;
  roundTrips: number;
}

export interface Counts {
  pg: Record<Owner, Tally>;
  redisCommands: number;
}

const OWNERS: Owner[] = ['brainops', 'queue', 'langgraph', 'other'];
const zero = (): Counts => ({
  pg: Object.fromEntries(OWNERS.map((o) => [o, { statements: 0, transactions: 0, roundTrips: 0 }])) as Record<Owner, Tally>,
  redisCommands: 0,
});

const totals = zero();
const owners = new WeakMap<object, Owner>();
const inTransaction = new WeakMap<object, boolean>();
const pools = new Map<object, Owner>();
let installed = false;

/** Statements in a query text: top-level `;` outside quotes, dollar quotes and comments. */
export function splitStatements(text: string): string[] {
  if (!text.includes(';')) return [text];
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else i++;
    } else if (c === ';') {
      parts.push(text.slice(start, i));
      start = ++i;
    } else i++;
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function ownerOf(client: object): Owner {
  const known = owners.get(client);
  if (known) return known;
  for (const [pool, owner] of pools) {
    const clients = (pool as { _clients?: object[] })._clients;
    if (clients?.includes(client)) {
      owners.set(client, owner);
      return owner;
    }
  }
  return 'other';
}

function record(client: object, text: string): void {
  const tally = totals.pg[ownerOf(client)];
  tally.roundTrips++;
  // Several statements in one simple-protocol text run as one implicit transaction, unless
  // they contain explicit transaction control.
  let implicit = false;
  for (const statement of splitStatements(text)) {
    tally.statements++;
    const word = /^\s*(\w+)/.exec(statement)?.[1]?.toUpperCase();
    const open = inTransaction.get(client) === true;
    if (word === 'BEGIN' || word === 'START') {
      if (!open && !implicit) tally.transactions++;
      inTransaction.set(client, true);
    } else if (word === 'COMMIT' || word === 'ROLLBACK' || word === 'END' || word === 'ABORT') {
      inTransaction.set(client, false);
      implicit = false;
    } else if (!open && !implicit) {
      tally.transactions++;
      implicit = true;
    }
  }
}

/** Wraps the pg and ioredis clients of this process (once; later calls do nothing). */
export function installCounters(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: object, ...args: unknown[]) {
    const first = args[0] as string | { text?: unknown } | undefined;
    const text = typeof first === 'string' ? first : typeof first?.text === 'string' ? first.text : '';
    record(this, text);
    return query.apply(this, args);
  };
  for (const Class of [Redis, Cluster]) {
    const p = Class.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const send = p.sendCommand;
    p.sendCommand = function (this: object, ...args: unknown[]) {
      totals.redisCommands++;
      return send.apply(this, args);
    };
  }
}

/** Attributes the clients of `pool` (present and future) to `owner`. */
export function registerPool(pool: unknown, owner: Owner): void {
  if (!pool || typeof pool !== 'object') return;
  pools.set(pool, owner);
  const p = pool as { on?: (event: string, fn: (client: object) => void) => void };
  p.on?.('connect', (client) => owners.set(client, owner));
}

/** The counts so far (a copy). */
export function snapshot(): Counts {
  return structuredClone(totals);
}

/** What was counted since `before`. */
export function since(before: Counts): Counts {
  const now = snapshot();
  const d = zero();
  for (const o of OWNERS) {
    d.pg[o] = {
      statements: now.pg[o].statements - before.pg[o].statements,
      transactions: now.pg[o].transactions - before.pg[o].transactions,
      roundTrips: now.pg[o].roundTrips - before.pg[o].roundTrips,
    };
  }
  d.redisCommands = now.redisCommands - before.redisCommands;
  return d;
}

/** Sum of several deltas. */
export function add(...all: Counts[]): Counts {
  const s = zero();
  for (const c of all) {
    for (const o of OWNERS) {
      s.pg[o].statements += c.pg[o].statements;
      s.pg[o].transactions += c.pg[o].transactions;
      s.pg[o].roundTrips += c.pg[o].roundTrips;
    }
    s.redisCommands += c.redisCommands;
  }
  return s;
}

const per = (n: number, units: number) => (units > 0 ? (n / units).toFixed(n / units < 10 ? 2 : 1) : 'n/a');

/**
 * Per unit: `own` = the statements and transactions of `own` (BrainOps, or LangGraph's
 * checkpointer), `queue` = the queue's PostgreSQL statements (Postgres backend) or Redis
 * commands, `other` = anything else (normally empty).
 */
export function describe(
  c: Counts,
  units: number,
  queueKind: 'redis' | 'postgres',
  own: Owner = 'brainops',
): { own: string; queue: string; other: string } {
  const o = c.pg[own];
  const q =
    queueKind === 'redis'
      ? `${per(c.redisCommands, units)} redis cmd`
      : `${per(c.pg.queue.statements, units)} st / ${per(c.pg.queue.transactions, units)} tx`;
  const others = OWNERS.filter((x) => x !== own && x !== 'queue').reduce((n, x) => n + c.pg[x].statements, 0);
  return {
    own: `${per(o.statements, units)} st / ${per(o.transactions, units)} tx`,
    queue: q,
    other: others ? `+${per(others, units)} other st` : '',
  };
}
