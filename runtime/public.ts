/**
 * The public plugin contract of BrainOps: what an agent (or tool) module imports. It is the
 * SDK (`@brainops/sdk`, packages/sdk), plus `langChainTools` (which needs the runtime's
 * LangChain); built-in agents import it from here, plugin packages from `@brainops/sdk`.
 * @module
 */
export * from '@brainops/sdk';
export { langChainTools } from './tools.ts';
export { guardedFetch, outboundUrl, refusedRange, type OutboundOptions } from './outbound.ts';
