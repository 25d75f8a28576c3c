/**
 * Long-term memory: the front door. A pgvector store with hybrid recall, two embedders
 * (Gemini, local hashing), the task-context extension, the HTTP routes and re-embedding.
 * @module
 */
import type { Config } from '../runtime/config.ts';
import type { Db } from '../runtime/db/driver.ts';
import { HashingEmbedder, type Embedder } from './embedders.ts';
import { GeminiEmbedder } from './gemini.ts';
import { MemoryStore } from './store.ts';

export { HashingEmbedder, cosine, hasWords, isUsableVector, normalize, tokenize, type Embedder } from './embedders.ts';
export { GeminiEmbedder, type GeminiEmbedderOptions } from './gemini.ts';
export { MAX_CONTENT, type RememberItem } from './items.ts';
export { vectorText, type RecallOptions } from './recall-sql.ts';
export { MemoryStore, type MemoryRecord, type RecallHit, type RememberResult } from './store.ts';
export { memoryExtension, memoriesForPrompt } from './context.ts';
export { reembed, countStale, type ReembedProgress } from './reembed.ts';

/** The configured embedder: Gemini when chosen (or `auto` with GEMINI_API_KEY), else hashing. */
export function createEmbedder(config: Config): Embedder {
  const gemini = config.MEMORY_EMBEDDER === 'gemini' || (config.MEMORY_EMBEDDER === 'auto' && config.GEMINI_API_KEY !== undefined);
  if (!gemini) return new HashingEmbedder({ dim: config.MEMORY_DIMENSIONS });
  if (!config.GEMINI_API_KEY) throw new Error('MEMORY_EMBEDDER is gemini but GEMINI_API_KEY is not set.');
  return new GeminiEmbedder({ apiKey: config.GEMINI_API_KEY, model: config.GEMINI_EMBEDDING_MODEL, dim: config.MEMORY_DIMENSIONS });
}

export function createMemoryStore(db: Db, config: Config, embedder: Embedder = createEmbedder(config)): MemoryStore {
  return new MemoryStore(db, embedder, { duplicateSimilarity: config.MEMORY_DUPLICATE_SIMILARITY });
}
