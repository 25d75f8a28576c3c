/**
 * Traces (OpenTelemetry): one trace follows a task from the request that created it, through
 * the queue (the W3C trace context travels in the job's data), to its attempt, each step,
 * tool call and model call. Spans are made through `@opentelemetry/api` only: with no tracer
 * provider registered they are non-recording and cost next to nothing. `startTracing`
 * registers the Node SDK with an OTLP/HTTP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set
 * (the exporter reads the other OTEL_EXPORTER_OTLP_* variables itself); otherwise tracing is off.
 *
 * Span names are low-cardinality (`task <agent>`, `step`, `tool <name>`, `model <name>`); ids
 * and step names are attributes.
 * @module
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { Config } from './config.ts';

/** The tracer every BrainOps span comes from (follows whichever provider is registered, even later). */
export const tracer = trace.getTracer('brainops');

/** Where a span's context travels between processes (a job's data): W3C `traceparent`/`tracestate`. */
export type TraceCarrier = Record<string, string>;

/**
 * Registers the Node SDK exporting over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set;
 * returns its shutdown (flushes what is buffered), or undefined when tracing is off.
 */
export async function startTracing(config: Config): Promise<{ shutdown(): Promise<void> } | undefined> {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME, 'service.version': config.version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

/**
 * Runs `fn` in a new active span (a child of `parent`, default the active context): its
 * error, if any, is recorded on the span and rethrown; the span ends when `fn` settles.
 */
export function inSpan<T>(
  name: string,
  o: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: o.kind ?? SpanKind.INTERNAL, ...(o.attributes ? { attributes: o.attributes } : {}) },
    o.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** The active context as a carrier for a job's data; undefined when there is nothing to carry (tracing off). */
export function injectTrace(): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier (from a job's data, or request headers) continues. */
export function extractTrace(carrier: Record<string, unknown> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

export { SpanKind, SpanStatusCode };
