/**
 * Gemini through @langchain/google-genai, with every schema it is sent reduced to Gemini's
 * subset (runtime/gemini-schema.ts) at the one place the request is built, and a check of the
 * configured model against the API's own model list (start-up and `doctor`).
 *
 * Retries are not the client's: it tries once (`maxRetries: 0`), and the task runtime decides
 * from the error's class (runtime/model-outcomes.ts): a 429 defers the task by the server's
 * RetryInfo delay, a 5xx is retried with the queue's backoff, a refusal falls back.
 * @module
 */
import { ChatGoogleGenerativeAI } from '@langchain/google-genai';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { isLangChainTool } from '@langchain/core/utils/function_calling';
import { toGeminiParameters, toGeminiSchema, type JsonSchema } from './gemini-schema.ts';
import { answerProblem, ModelAnswerError } from './model-outcomes.ts';
import { DEFAULT_GEMINI_MODEL, usageOf } from './models.ts';

export const GEMINI_API = 'https://generativelanguage.googleapis.com';

/** One function declaration as Gemini takes it. */
export interface FunctionDeclaration {
  name: string;
  description: string;
  parameters?: JsonSchema;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Any tool LangChain accepts (a LangChain tool, an OpenAI-style tool, a Gemini declaration) as Gemini declarations. */
export function functionDeclarations(tool: unknown): FunctionDeclaration[] {
  if (isLangChainTool(tool as never)) {
    const t = tool as { name: string; description?: string; schema: unknown };
    return [declaration(t.name, t.description, toJsonSchema(t.schema as never))];
  }
  if (isObj(tool) && Array.isArray(tool.functionDeclarations)) {
    return tool.functionDeclarations
      .filter(isObj)
      .map((d) => declaration(String(d.name), d.description as string | undefined, d.parameters));
  }
  if (isObj(tool) && isObj(tool.function)) {
    const f = tool.function;
    return [declaration(String(f.name), f.description as string | undefined, f.parameters)];
  }
  return [];
}

function declaration(name: string, description: string | undefined, schema: unknown): FunctionDeclaration {
  const parameters = toGeminiParameters(schema);
  return { name, description: description?.trim() || 'A function available to call.', ...(parameters ? { parameters } : {}) };
}

type Params = ReturnType<ChatGoogleGenerativeAI['invocationParams']>;
type GoogleGenerativeAIToolType = Parameters<ChatGoogleGenerativeAI['bindTools']>[0][number];

/**
 * ChatGoogleGenerativeAI whose requests carry only schemas Gemini accepts: tools bound with
 * `bindTools`, passed as call options or made by `withStructuredOutput`, and response schemas,
 * are all converted where the request is built.
 */
export class GeminiChat extends ChatGoogleGenerativeAI {
  override bindTools(tools: GoogleGenerativeAIToolType[], kwargs?: Parameters<ChatGoogleGenerativeAI['bindTools']>[1]) {
    const declarations = tools.flatMap(functionDeclarations);
    const others = tools.filter((t) => functionDeclarations(t).length === 0);
    return super.bindTools(
      [...others, ...(declarations.length ? [{ functionDeclarations: declarations }] : [])] as GoogleGenerativeAIToolType[],
      kwargs,
    );
  }

  /**
   * The raw answer, checked before LangChain maps it: a blocked prompt, a candidate without
   * content or a finish reason other than STOP is a ModelAnswerError carrying the tokens the
   * answer still cost (LangChain's own EmptyContentError would lose them).
   */
  override async completionWithRetry(
    ...args: Parameters<ChatGoogleGenerativeAI['completionWithRetry']>
  ): ReturnType<ChatGoogleGenerativeAI['completionWithRetry']> {
    const res = await super.completionWithRetry(...args);
    const r = res.response;
    const m = r.usageMetadata;
    const usage = m
      ? usageOf(this.model, {
          text: '',
          usage_metadata: {
            input_tokens: m.promptTokenCount ?? 0,
            output_tokens: m.candidatesTokenCount ?? 0,
            total_tokens: m.totalTokenCount ?? 0,
          },
        })
      : undefined;
    const candidate = r.candidates?.[0];
    const problem =
      answerProblem({ finishReason: candidate?.finishReason, blockReason: r.promptFeedback?.blockReason }, usage) ??
      (candidate?.content ? undefined : new ModelAnswerError('MODEL_NO_ANSWER', 'The model returned no candidate.', {}, usage));
    if (problem) throw problem;
    return res;
  }

  override invocationParams(options?: this['ParsedCallOptions']): Params {
    const params = super.invocationParams(options);
    const tools = params.tools?.map((t) =>
      'functionDeclarations' in t && Array.isArray(t.functionDeclarations) ? { functionDeclarations: functionDeclarations(t) } : t,
    );
    const schema = params.generationConfig?.responseSchema;
    return {
      ...params,
      ...(tools ? { tools: tools as Params['tools'] } : {}),
      ...(schema
        ? { generationConfig: { ...params.generationConfig, responseSchema: (toGeminiSchema(schema) ?? { type: 'string' }) as never } }
        : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------
// The configured model against the API's list

/** What the models list says about the configured model. */
export type ModelCheck =
  | { status: 'ok'; model: string; message: string }
  | { status: 'retired' | 'unknown'; model: string; message: string }
  | { status: 'unreachable'; model: string; message: string };

/**
 * Models Google has shut down, with the date (Google's deprecations page,
 * ai.google.dev/gemini-api/docs/deprecations, as read on 2026-11-30) and the replacement it
 * names. Only for the message: whether a model is served is the API's list's answer.
 */
export const RETIRED_MODELS: Readonly<Record<string, { shutdown: string; replacement: string }>> = {
  'gemini-1.5-flash': { shutdown: '2025-09-24', replacement: 'gemini-3.5-flash' },
  'gemini-1.5-pro': { shutdown: '2025-09-24', replacement: 'gemini-3.1-pro-preview' },
  'gemini-2.0-flash': { shutdown: '2026-06-01', replacement: 'gemini-3.5-flash' },
  'gemini-2.0-flash-lite': { shutdown: '2026-06-01', replacement: 'gemini-3.1-flash-lite' },
  'gemini-2.5-flash': { shutdown: '2026-10-16', replacement: 'gemini-3.5-flash' },
  'gemini-2.5-flash-lite': { shutdown: '2026-07-22', replacement: 'gemini-3.1-flash-lite' },
  'gemini-2.5-pro': { shutdown: '2026-10-16', replacement: 'gemini-3.1-pro-preview' },
  'gemini-3-pro-preview': { shutdown: '2026-03-09', replacement: 'gemini-3.1-pro-preview' },
};

/**
 * Asks the API's model list (GET /v1beta/models, every page) whether `model` is served for
 * generateContent. Never throws: an unreachable API is a status of its own.
 */
export async function checkGeminiModel(apiKey: string, model: string, o: { signal?: AbortSignal } = {}): Promise<ModelCheck> {
  const names = new Set<string>();
  let page: string | undefined;
  try {
    for (let i = 0; i < 20; i++) {
      const url = `${GEMINI_API}/v1beta/models?pageSize=1000${page ? `&pageToken=${encodeURIComponent(page)}` : ''}`;
      const res = await fetch(url, { headers: { 'x-goog-api-key': apiKey }, signal: o.signal ?? AbortSignal.timeout(10_000) });
      if (!res.ok)
        return {
          status: 'unreachable',
          model,
          message: `The Gemini model list answered HTTP ${res.status}; the model '${model}' could not be checked.`,
        };
      const body = (await res.json()) as { models?: { name?: string; supportedGenerationMethods?: string[] }[]; nextPageToken?: string };
      for (const m of body.models ?? []) {
        if (m.name && (m.supportedGenerationMethods ?? ['generateContent']).includes('generateContent'))
          names.add(m.name.replace(/^models\//, ''));
      }
      page = body.nextPageToken || undefined;
      if (!page) break;
    }
  } catch (err) {
    return {
      status: 'unreachable',
      model,
      message: `The Gemini model list could not be read (${(err as Error).message}); the model '${model}' was not checked.`,
    };
  }
  if (names.has(model)) return { status: 'ok', model, message: `Gemini serves '${model}'.` };
  const retired = RETIRED_MODELS[model];
  if (retired) {
    return {
      status: 'retired',
      model,
      message: `GEMINI_MODEL '${model}' is retired (shut down ${retired.shutdown}) and no longer in Gemini's model list: set GEMINI_MODEL=${retired.replacement}.`,
    };
  }
  return {
    status: 'unknown',
    model,
    message: `GEMINI_MODEL '${model}' is not in Gemini's model list (retired or misspelt): set one the API lists, e.g. ${DEFAULT_GEMINI_MODEL}.`,
  };
}
