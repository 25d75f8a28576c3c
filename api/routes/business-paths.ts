/**
 * OpenAPI entries of the business routes that are not tools (the tools' own entries are
 * derived by the registry): agent-backed revenue endpoints from their agents' schemas, the
 * self-test, the webhook and the public pages.
 * @module
 */
import type { Runtime } from '../../runtime/boot.ts';
import { jsonSchema } from '../../runtime/registry.ts';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
const wait = {
  name: 'wait',
  in: 'query',
  required: false,
  schema: { type: 'number', minimum: 0, maximum: 120, default: 20 },
  description: 'Seconds to wait for the result',
};

export function businessPaths(rt: Runtime): Record<string, Record<string, unknown>> {
  const agentRoute = (agent: string, summary: string) => {
    const a = rt.registry.agent(agent);
    return {
      post: {
        summary,
        tags: ['revenue'],
        parameters: [wait],
        requestBody: { required: true, ...json(a ? jsonSchema(a.input, 'input') : {}) },
        responses: {
          '200': {
            description: 'Finished in time: {result, task}',
            ...json({
              type: 'object',
              properties: { result: a ? jsonSchema(a.output, 'output') : {}, task: { $ref: '#/components/schemas/Task' } },
            }),
          },
          '202': {
            description: 'Still running: {task}',
            ...json({ type: 'object', properties: { task: { $ref: '#/components/schemas/Task' } } }),
          },
          '400': err,
          '401': err,
          '404': err,
          '422': err,
        },
      },
    };
  };
  return {
    '/api/v1/ai-estimation': agentRoute('estimator', 'AI roofing estimate (agent estimator); the result is stored as a draft estimate'),
    '/api/v1/ai-competitor-analysis': agentRoute('competitor-analysis', 'AI competitor analysis (agent competitor-analysis)'),
    '/api/v1/landing-pages': agentRoute('landing-page', 'Generate and publish a landing page (agent landing-page)'),
    '/api/v1/test-revenue': {
      get: {
        summary: 'Revenue self-test: exercises the other twelve revenue endpoints',
        tags: ['revenue'],
        responses: {
          '200': {
            description: 'How many of the 13 are operational, with each one’s check',
            ...json({
              type: 'object',
              properties: {
                available: { type: 'integer' },
                total: { type: 'integer' },
                endpoints: { type: 'array' },
                failures: { type: 'array' },
              },
            }),
          },
          '401': err,
        },
      },
    },
    '/api/v1/stripe-revenue/webhook': {
      post: {
        summary: 'Stripe webhook (Stripe-Signature verified; events applied once)',
        tags: ['revenue'],
        security: [],
        responses: { '200': { description: '{received, applied, duplicate?}' }, '400': err },
      },
    },
    '/api/v1/aurea/public': {
      post: {
        summary: 'Public assistant (rate-limited per client)',
        security: [],
        requestBody: {
          required: true,
          ...json({ type: 'object', required: ['message'], properties: { message: { type: 'string', maxLength: 2000 } } }),
        },
        responses: {
          '200': {
            description: 'The assistant’s reply and the model that wrote it',
            ...json({
              type: 'object',
              properties: {
                reply: { type: 'string' },
                model: { type: 'string', description: 'The model that answered; "template" or "offline" when the reply came from the FAQ' },
              },
            }),
          },
          '400': err,
          '429': err,
        },
      },
    },
    '/landing/{slug}': {
      get: {
        summary: 'Public landing page (HTML) with lead form',
        security: [],
        parameters: [{ name: 'slug', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'text/html' }, '404': err },
      },
    },
    '/landing/{slug}/leads': {
      post: {
        summary: 'Lead capture (form or JSON; honeypot field "website"; rate-limited)',
        security: [],
        parameters: [{ name: 'slug', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '201': { description: 'JSON: {ok, leadId}' },
          '303': { description: 'form: back to the page' },
          '400': err,
          '404': err,
          '429': err,
        },
      },
    },
    '/sandbox/checkout/{id}': {
      get: {
        summary: 'Offline Stripe sandbox: the checkout page of a session (only without STRIPE_SECRET_KEY)',
        security: [],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'text/html' }, '404': err },
      },
    },
    '/sandbox/checkout/{id}/pay': {
      post: {
        summary: 'Offline Stripe sandbox: pay the session (a signed checkout.session.completed event, applied once)',
        security: [],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'JSON {received, applied} or an HTML page' }, '404': err },
      },
    },
    '/unsubscribe/{token}': {
      get: {
        summary: 'Unsubscribe link from emails (signed token): a confirmation page; changes nothing by itself',
        security: [],
        parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'text/html' }, '400': err },
      },
      post: {
        summary: 'One-click unsubscribe (RFC 8058; body `List-Unsubscribe=One-Click`): takes effect at once, no key needed',
        security: [],
        parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'text/html' }, '400': err },
      },
    },
  };
}
