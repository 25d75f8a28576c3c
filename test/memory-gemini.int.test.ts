/**
 * The Gemini embedder against recorded HTTP (undici MockAgent; never the network):
 * embedContent for queries, batchEmbedContents for documents, failures that LangChain would
 * swallow turned into errors, and the whole API path with Gemini as the configured embedder.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockAgent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { GeminiEmbedder } from '../memory/index.ts';
import { AppError } from '../runtime/errors.ts';
import { lowerCaseHeaders, startTestApp, type TestApp } from './harness.ts';

const ORIGIN = 'https://generativelanguage.googleapis.com';
const KEY = 'test-gemini-key';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const BATCH = fixture('gemini-embed-batch.json');
const CONTENT = fixture('gemini-embed-content.json');

interface Captured {
  path: string;
  headers: Record<string, string>;
  body: any;
}

/** The recorded vector for a text (documents and the query), so replies follow the request. */
const recorded = new Map<string, number[]>([
  ...BATCH.request.requests.map((r: any, i: number) => [r.content.parts[0].text, BATCH.response.embeddings[i].values] as const),
  [CONTENT.request.content.parts[0].text, CONTENT.response.embedding.values],
]);
const norm = (v: number[]) => Math.hypot(...v);

let agent: MockAgent;
let previous: Dispatcher;
let captured: Captured[];

function intercept(
  method: 'embedContent' | 'batchEmbedContents',
  reply: (body: any) => { status?: number; json: unknown },
  times = 1,
): void {
  agent
    .get(ORIGIN)
    .intercept({ path: (p: string) => p.endsWith(`/v1beta/models/gemini-embedding-001:${method}`), method: 'POST' })
    .reply((opts) => {
      const body = JSON.parse(String(opts.body));
      captured.push({ path: opts.path, headers: lowerCaseHeaders(opts.headers), body });
      const r = reply(body);
      return {
        statusCode: r.status ?? 200,
        data: JSON.stringify(r.json),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    })
    .times(times);
}

const fromRecording = (body: any) => ({
  json: { embeddings: body.requests.map((r: any) => ({ values: recorded.get(r.content.parts[0].text) ?? [] })) },
});

beforeEach(() => {
  captured = [];
  previous = getGlobalDispatcher();
  agent = new MockAgent();
  agent.disableNetConnect();
  // The API under test listens on 127.0.0.1: let those requests through, nothing else.
  agent.enableNetConnect(/^127\.0\.0\.1(:\d+)?$/);
  setGlobalDispatcher(agent);
});
afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
  setGlobalDispatcher(previous);
});

describe('GeminiEmbedder', () => {
  const embedder = () => new GeminiEmbedder({ apiKey: KEY, dim: 768, maxRetries: 0 });

  it('embeds a query with embedContent (RETRIEVAL_QUERY, 768 dimensions) and normalises it', async () => {
    intercept('embedContent', () => ({ json: CONTENT.response }));
    const v = await embedder().embedQuery(CONTENT.request.content.parts[0].text);
    expect(captured).toHaveLength(1);
    expect(captured[0]!.headers['x-goog-api-key']).toBe(KEY);
    expect(captured[0]!.path).not.toContain('key=');
    expect(captured[0]!.body).toEqual(CONTENT.request);
    expect(v).toHaveLength(768);
    expect(norm(v)).toBeCloseTo(1, 9);
    const raw: number[] = CONTENT.response.embedding.values;
    expect(v[6]! / raw[6]!).toBeCloseTo(1 / norm(raw), 6);
  });

  it('embeds documents with batchEmbedContents (RETRIEVAL_DOCUMENT)', async () => {
    intercept('batchEmbedContents', fromRecording);
    const texts = BATCH.request.requests.map((r: any) => r.content.parts[0].text);
    const vs = await embedder().embedDocuments(texts);
    expect(captured.map((c) => c.body)).toEqual([BATCH.request]);
    expect(vs).toHaveLength(3);
    for (const v of vs) expect(norm(v)).toBeCloseTo(1, 9);
  });

  it('sends at most 100 texts per request, one request at a time', async () => {
    const arrivals: number[] = [];
    agent
      .get(ORIGIN)
      .intercept({ path: (p: string) => p.endsWith(':batchEmbedContents'), method: 'POST' })
      .reply((opts) => {
        arrivals.push(performance.now());
        const body = JSON.parse(String(opts.body));
        captured.push({ path: opts.path, headers: {}, body });
        const values = Array.from({ length: 768 }, (_, i) => (i === 0 ? 1 : 0));
        return {
          statusCode: 200,
          data: JSON.stringify({ embeddings: body.requests.map(() => ({ values })) }),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      })
      .delay(30)
      .times(2);
    const vs = await embedder().embedDocuments(Array.from({ length: 150 }, (_, i) => `text ${i}`));
    expect(vs).toHaveLength(150);
    expect(captured.map((c) => c.body.requests.length)).toEqual([100, 50]);
    // The second request starts only after the first (delayed) reply came back.
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(25);
  });

  it('throws when a batch fails instead of returning empty vectors', async () => {
    intercept('batchEmbedContents', () => ({ status: 500, json: { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } } }));
    const err = await embedder()
      .embedDocuments(['a', 'b'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'EMBEDDING_FAILED', status: 502, retryable: true });
  });

  it('throws on a failed or wrong-sized query embedding', async () => {
    intercept('embedContent', () => ({
      status: 429,
      json: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
    }));
    await expect(embedder().embedQuery('x')).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    intercept('embedContent', () => ({ json: { embedding: { values: [0.1, 0.2, 0.3] } } }));
    await expect(embedder().embedQuery('x')).rejects.toThrow(/3 dimensions, expected 768/);
  });
});

describe('memory API with the Gemini embedder', () => {
  let app: TestApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('stores Gemini vectors, tagged with their embedder, and recalls with them', async () => {
    app = await startTestApp('pglite', { worker: false, env: { GEMINI_API_KEY: KEY } });
    intercept('batchEmbedContents', fromRecording, 3);
    const ids: string[] = [];
    for (const r of BATCH.request.requests) {
      const res = await app.call('POST', '/api/v1/memory', { content: r.content.parts[0].text });
      expect(res.status).toBe(201);
      expect(res.body.memory).toMatchObject({ embedder: 'gemini:gemini-embedding-001', dim: 768 });
      ids.push(res.body.memory.id);
    }
    intercept('embedContent', () => ({ json: CONTENT.response }));
    const search = await app.call('GET', `/api/v1/memory/search?q=${encodeURIComponent(CONTENT.request.content.parts[0].text)}&k=2`);
    expect(search.status).toBe(200);
    expect(search.body.results[0].id).toBe(ids[0]);
    expect(captured.map((c) => c.path.split(':').at(-1))).toEqual([
      'batchEmbedContents',
      'batchEmbedContents',
      'batchEmbedContents',
      'embedContent',
    ]);
    expect(captured[3]!.body.taskType).toBe('RETRIEVAL_QUERY');
  });

  it('answers 502 and writes nothing when Gemini fails', async () => {
    intercept('batchEmbedContents', () => ({ status: 503, json: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } } }));
    const res = await app!.call('POST', '/api/v1/memory', { content: 'this one cannot be embedded' });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('EMBEDDING_FAILED');
    const n = await app!.proc.runtime.db.tenant('default', (tx) => tx.query<{ n: string }>('SELECT count(*) AS n FROM memories'));
    expect(Number(n.rows[0]!.n)).toBe(3);
  });
});
