/**
 * Public routes (no key; API.md "Public"): the public assistant, landing pages with lead
 * capture, unsubscribe links, and the Stripe sandbox's checkout page. Forms and the
 * assistant are rate-limited per client; lead forms carry a honeypot.
 * @module
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { readableText, readableTextOrEmpty } from '../../runtime/text.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError, notFound } from '../../runtime/errors.ts';
import type { ToolRegistry } from '../../runtime/tools.ts';
import {
  applyStripeEvent,
  expiredLink,
  faqReply,
  formatMoney,
  captureLead,
  leadInput,
  readUnsubscribeToken,
  sandboxCompletedEvent,
  SLUG,
  unsubscribe,
  type BusinessServices,
} from '../../tools/index.ts';
import { RouteSet } from '../define.ts';
import { parse, param } from '../http.ts';
import { normaliseInput, verifyUtf8 } from '../input.ts';
import { page, renderLanding } from './landing-html.ts';
import { webhookOutcome } from './revenue.ts';

/** The agent that answers the public assistant's questions, and how long a visitor waits for it. */
const PUBLIC_AGENT = 'public-assistant';
const PUBLIC_WAIT_MS = 20_000;

function limiter(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // X-Forwarded-For from a client that is not a configured proxy (TRUST_PROXY) is ignored on purpose.
    validate: { xForwardedForHeader: false },
    handler: (_req: Request, _res: Response, next: NextFunction) =>
      next(new AppError('RATE_LIMITED', 'Too many requests from this client; try again in a minute.', { status: 429 })),
  });
}

const leadForm = leadInput.pick({ name: true, email: true, phone: true }).extend({
  message: readableTextOrEmpty(2000).optional(),
  website: z.string().max(500).optional(),
});

const error = { $ref: '#/components/schemas/Error' };
const html = (description: string) => ({ description, type: 'text/html', schema: z.string().describe('An HTML page') });
const tooMany = { description: 'Too many requests from this client (rate limit per minute)', schema: error };

const publicQuestion = z.object({ message: readableText(2000) });
const publicReply = z.object({
  reply: z.string(),
  model: z.string().optional().describe('The model that answered; "template" or "offline" when the reply came from the FAQ'),
});

/** The one-click form (RFC 8058) the mail client or the confirmation page posts. */
const oneClick = z.object({ 'List-Unsubscribe': z.literal('One-Click') });

export function publicRoutes(
  rt: Runtime,
  tools: ToolRegistry<BusinessServices>,
  services: BusinessServices,
  mounted: Set<string>,
): RouteSet {
  const api = new RouteSet();
  const cfg = rt.config;
  const ask = limiter(cfg.PUBLIC_RATE_LIMIT);
  const forms = limiter(cfg.PUBLIC_RATE_LIMIT);
  mounted
    .add('POST /api/v1/aurea/public')
    .add('GET /landing/:slug')
    .add('POST /landing/:slug/leads')
    .add('GET /unsubscribe/:token')
    .add('POST /unsubscribe/:token');

  api.add(
    {
      method: 'post',
      path: '/api/v1/aurea/public',
      summary: 'Public assistant (rate-limited per client)',
      access: 'public',
      use: [ask],
      body: publicQuestion,
      responses: { 200: { description: 'The assistant’s reply and the model that wrote it', schema: publicReply }, 429: tooMany },
    },
    async ({ body: { message }, res }) => {
      const tenantId = cfg.PUBLIC_TENANT;
      // The model call is a task like every other: metered, held to the tenant's budget and to
      // the agent's rate limit. The visitor waits for it; without an answer in time, the FAQ.
      if (rt.registry.agent(PUBLIC_AGENT)) {
        const { task } = await rt.tasks.create(tenantId, PUBLIC_AGENT, { input: { message } }, { type: 'public' });
        const done = await answered(tenantId, task.id);
        const out = done.output as { reply?: string; model?: string } | null;
        if (done.status === 'succeeded' && out?.reply) return void res.json({ reply: out.reply, model: out.model });
        if (done.status !== 'failed' && done.status !== 'cancelled') await rt.tasks.cancel(tenantId, task.id).catch(() => undefined);
        rt.logger.warn(
          { taskId: task.id, status: done.status, error: done.error?.code },
          'public assistant task gave no answer; answering from the FAQ',
        );
      }
      const { products } = (await tools.call('products_public_list', {}, { tenantId, caller: { kind: 'system' } })) as {
        products: { name: string; priceUsd: number; interval: string }[];
      };
      res.json({ reply: faqReply(message, products), model: rt.model.chat ? 'template' : 'offline' });
    },
  );

  /** The task once it ended, or was deferred by the model's 429 (a visitor does not wait for that), or the wait ran out. */
  const answered = async (tenantId: string, id: string) => {
    const deadline = Date.now() + PUBLIC_WAIT_MS;
    for (;;) {
      const task = await rt.tasks.get(tenantId, id);
      const deferred = task.status === 'queued' && task.error?.code === 'RATE_LIMITED';
      if (['succeeded', 'failed', 'cancelled'].includes(task.status) || deferred || Date.now() >= deadline) return task;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  api.add(
    {
      method: 'get',
      path: '/landing/:slug',
      summary: 'Public landing page (HTML) with lead form',
      access: 'public',
      responses: { 200: html('The landing page') },
    },
    async ({ req, res }) => {
      const p = await landingBySlug(rt, param(req, 'slug'));
      res.type('html').send(renderLanding(p, { sent: req.query.sent === '1' }));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/landing/:slug/leads',
      summary: 'Lead capture (form or JSON; honeypot field "website"; rate-limited)',
      access: 'public',
      use: [forms, express.urlencoded({ extended: false, limit: '20kb', verify: verifyUtf8 }), normaliseInput],
      // Parsed by the handler after the page is found (an unknown page is a 404 whatever the body).
      bodySchema: leadForm,
      bodyTypes: ['application/x-www-form-urlencoded', 'application/json'],
      responses: {
        201: { description: 'JSON: {ok, leadId}', schema: z.object({ ok: z.literal(true), leadId: z.string().optional() }) },
        303: { description: 'Form: back to the page (Location /landing/{slug}?sent=1)' },
        429: tooMany,
      },
    },
    async ({ req, res }) => {
      const p = await landingBySlug(rt, param(req, 'slug'));
      const form = parse(leadForm, req.body ?? {}, 'form');
      const isForm = Boolean(req.is('urlencoded'));
      // A filled honeypot is a bot: answer as if it worked, store nothing.
      if (form.website) return void (isForm ? res.redirect(303, `/landing/${p.slug}?sent=1`) : res.status(201).json({ ok: true }));
      const { lead } = await rt.db.tenant(p.tenant_id, (sql) =>
        captureLead(
          sql,
          p.tenant_id,
          {
            name: form.name,
            email: form.email || undefined,
            phone: form.phone || undefined,
            notes: form.message || undefined,
            source: `landing:${p.slug}`,
            valueUsd: 0,
          },
          p.id,
        ),
      );
      if (isForm) return void res.redirect(303, `/landing/${p.slug}?sent=1`);
      res.status(201).json({ ok: true, leadId: lead.id });
    },
  );

  // Bulk-sender rules (RFC 8058): the POST is the one-click unsubscribe (mail clients send
  // `List-Unsubscribe=One-Click`; the confirmation page's button posts the same form) and takes
  // effect in this request. The GET only shows the confirmation page: mail scanners and link
  // previews fetch links, and must not unsubscribe anyone.
  const token = { token: 'The signed token from the email' };
  api.add(
    {
      method: 'get',
      path: '/unsubscribe/:token',
      summary: 'Unsubscribe link from emails (signed token): a confirmation page; changes nothing by itself',
      access: 'public',
      params: token,
      responses: { 200: html('The confirmation page'), 400: { description: 'The link is not valid', schema: error } },
    },
    async ({ req, res }) => {
      const token = param(req, 'token');
      const who = await unsubscriber(services, token);
      res.type('html').send(
        page(
          'Unsubscribe',
          `<h1>Unsubscribe</h1><p>Stop all emails from us to ${escapeHtml(who.email)}?</p>
<form method="post" action="/unsubscribe/${encodeURIComponent(token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
        ),
      );
    },
  );
  api.add(
    {
      method: 'post',
      path: '/unsubscribe/:token',
      summary: 'One-click unsubscribe (RFC 8058; body `List-Unsubscribe=One-Click`): takes effect at once, no key needed',
      access: 'public',
      params: token,
      use: [express.urlencoded({ extended: false, limit: '2kb' })],
      // Documented only: the one click is the request itself, whatever the form says.
      bodySchema: oneClick,
      bodyTypes: ['application/x-www-form-urlencoded'],
      responses: { 200: html('The page saying it is done'), 400: { description: 'The link is not valid', schema: error } },
    },
    async ({ req, res }) => {
      const who = await unsubscriber(services, param(req, 'token'));
      await unsubscribe((fn) => rt.db.tenant(who.tenantId, fn), who.tenantId, who.email);
      res
        .status(200)
        .type('html')
        .send(page('Unsubscribed', `<h1>You are unsubscribed</h1><p>${escapeHtml(who.email)} will receive no more emails from us.</p>`));
    },
  );

  if (services.payments.mode === 'sandbox') {
    api.add(
      {
        method: 'get',
        path: '/sandbox/checkout/:id',
        summary: 'Offline Stripe sandbox: the checkout page of a session (only without STRIPE_SECRET_KEY)',
        access: 'public',
        responses: { 200: html('The checkout page') },
      },
      async ({ req, res }) => {
        const s = await sandboxSession(rt, param(req, 'id'));
        const amount = formatMoney(Number(s.amount_minor), s.currency);
        // An expired link says why, and what its holder can do, as its pay answer (409) does.
        const expired = s.status === 'expired' ? expiredLink(s.expired_reason) : undefined;
        res.type('html').send(
          page(
            'Sandbox checkout',
            `<h1>Sandbox checkout</h1><p>Amount: <strong>${amount}</strong> — status: ${s.status}.</p>${
              expired ? `<p>This payment link has expired: ${escapeHtml(expired.why)}. ${escapeHtml(expired.next)}</p>` : ''
            }<p>No card is charged: this is the offline Stripe sandbox.</p>
${s.status === 'open' ? `<form method="post" action="/sandbox/checkout/${s.id}/pay"><button type="submit">Pay ${amount} (sandbox)</button></form>` : ''}`,
          ),
        );
      },
    );
    api.add(
      {
        method: 'post',
        path: '/sandbox/checkout/:id/pay',
        summary: 'Offline Stripe sandbox: pay the session (a signed checkout.session.completed event, applied once)',
        access: 'public',
        responses: {
          200: {
            description: 'JSON {received, applied} when the request is JSON, else an HTML page',
            schema: webhookOutcome,
          },
          409: {
            description:
              'The session has expired (a newer payment link replaced it, its estimate is no longer accepted, or Stripe expired it)',
            schema: error,
          },
        },
      },
      async ({ req, res }) => {
        const s = await sandboxSession(rt, param(req, 'id'));
        // The same path as a real payment: a signed event, verified, applied once. As at Stripe,
        // an expired session cannot be paid: applying the event refuses it (409
        // CHECKOUT_SESSION_EXPIRED, saying why), under the estimate's lock, so a link expired by a
        // new link or a decline at the same moment is never paid.
        const payload = sandboxCompletedEvent({
          id: s.id,
          amountMinor: Number(s.amount_minor),
          currency: s.currency,
          interval: s.interval,
        });
        const result = await applyStripeEvent(
          rt.db,
          await services.payments.verify(payload, await services.payments.sign(payload)),
          services.payments,
        );
        if (req.is('json')) return void res.json(result);
        res
          .type('html')
          .send(
            page(
              'Paid',
              `<h1>Payment recorded</h1><p>The sandbox payment of ${formatMoney(Number(s.amount_minor), s.currency)} was applied.</p>`,
            ),
          );
      },
    );
  }
  return api;
}

async function unsubscriber(services: BusinessServices, token: string): Promise<{ tenantId: string; email: string }> {
  const who = await readUnsubscribeToken(services, token);
  if (!who) throw new AppError('INVALID_TOKEN', 'This unsubscribe link is not valid.', { status: 400 });
  return who;
}

const escapeHtml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function landingBySlug(rt: Runtime, slug: string) {
  if (!SLUG.test(slug)) throw notFound('Landing page', slug);
  // Slug → page is the one read the public needs across tenants: owner role, one row, by key.
  const row = await rt.db.system(
    async (sql) =>
      (
        await sql.query<{ id: string; tenant_id: string; slug: string; title: string; headline: string; body: string; cta: string }>(
          `SELECT id, tenant_id, slug, title, headline, body, cta FROM landing_pages WHERE slug = $1 AND published`,
          [slug],
        )
      ).rows[0],
  );
  if (!row) throw notFound('Landing page', slug);
  return row;
}

async function sandboxSession(rt: Runtime, id: string) {
  const row = await rt.db.system(
    async (sql) =>
      (
        await sql.query<{
          id: string;
          amount_minor: string;
          currency: string;
          interval: string;
          status: string;
          expired_reason: string | null;
        }>(
          `SELECT id, amount_minor, currency, interval, status, expired_reason FROM checkout_sessions WHERE id = $1 AND mode = 'sandbox'`,
          [id],
        )
      ).rows[0],
  );
  if (!row) throw notFound('Checkout session', id);
  return row;
}
