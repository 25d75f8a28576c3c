/**
 * The Gemini embedder (`gemini-embedding-001` through `@langchain/google-genai`). Documents
 * are embedded with task type RETRIEVAL_DOCUMENT, queries with RETRIEVAL_QUERY; vectors are
 * L2-normalised (Gemini only normalises its full 3,072-dimension output).
 * @module
 */
import { GoogleGenerativeAIEmbeddings, type GoogleGenerativeAIEmbeddingsParams } from '@langchain/google-genai';
import { TransientError, type AppError } from '../runtime/errors.ts';
import { normalize, type Embedder } from './embedders.ts';

export interface GeminiEmbedderOptions {
  apiKey: string;
  model?: string;
  dim?: number;
  /** Texts per batchEmbedContents request (the API takes at most 100). */
  batchSize?: number;
  /** Retries of one request by LangChain's caller (embedContent only, see below). */
  maxRetries?: number;
  baseUrl?: string;
}

// The TaskType enum lives in @google/generative-ai, which is not our dependency; its values are these strings.
type TaskType = NonNullable<GoogleGenerativeAIEmbeddingsParams['taskType']>;
const RETRIEVAL_DOCUMENT = 'RETRIEVAL_DOCUMENT' as TaskType;
const RETRIEVAL_QUERY = 'RETRIEVAL_QUERY' as TaskType;

export class GeminiEmbedder implements Embedder {
  readonly name: string;
  readonly dim: number;
  readonly #docs: GoogleGenerativeAIEmbeddings;
  readonly #queries: GoogleGenerativeAIEmbeddings;
  readonly #batchSize: number;

  constructor(o: GeminiEmbedderOptions) {
    const model = o.model ?? 'gemini-embedding-001';
    this.name = `gemini:${model}`;
    this.dim = o.dim ?? 768;
    this.#batchSize = Math.min(100, o.batchSize ?? 100);
    const common = {
      apiKey: o.apiKey,
      model,
      outputDimensionality: this.dim,
      maxRetries: o.maxRetries ?? 2,
      ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
    };
    this.#docs = new GoogleGenerativeAIEmbeddings({ ...common, taskType: RETRIEVAL_DOCUMENT });
    this.#queries = new GoogleGenerativeAIEmbeddings({ ...common, taskType: RETRIEVAL_QUERY });
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    // One request at a time: LangChain would fire every batch at once and hit the rate limit.
    for (let i = 0; i < texts.length; i += this.#batchSize) {
      const chunk = texts.slice(i, i + this.#batchSize);
      // embedDocuments swallows HTTP errors and answers [] for each text of a failed batch,
      // so an empty (or wrong-sized) vector means the request failed.
      const vectors = await this.#docs.embedDocuments(chunk);
      if (vectors.length !== chunk.length || vectors.some((v) => v.length !== this.dim)) {
        throw embeddingFailed(
          `batchEmbedContents returned no usable vectors for ${chunk.length} text(s) (texts ${i + 1}-${i + chunk.length})`,
        );
      }
      out.push(...vectors.map((v) => normalize([...v])));
    }
    return out;
  }

  async embedQuery(text: string): Promise<number[]> {
    let v: number[];
    try {
      v = await this.#queries.embedQuery(text);
    } catch (err) {
      throw embeddingFailed(`embedContent failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    if (v.length !== this.dim) throw embeddingFailed(`embedContent returned ${v.length} dimensions, expected ${this.dim}`);
    return normalize([...v]);
  }
}

function embeddingFailed(message: string, cause?: unknown): AppError {
  // The upstream failed: transient, so a task that remembers is tried again later.
  return new TransientError('EMBEDDING_FAILED', `Gemini embedding failed: ${message}.`, { status: 502, ...(cause ? { cause } : {}) });
}
