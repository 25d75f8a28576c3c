/**
 * Payments: Stripe Checkout through the real `stripe` library when STRIPE_SECRET_KEY is set,
 * otherwise a local sandbox (a session id and a local page that "pays" it by sending a
 * signed event to the same webhook code). Webhook signatures are always verified with
 * `stripe.webhooks.constructEvent`, against STRIPE_WEBHOOK_SECRET or the sandbox's own secret.
 * @module
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { Config } from '../../runtime/config.ts';
import { AppError } from '../../runtime/errors.ts';
import type { SystemSecrets } from './secrets.ts';

export interface CheckoutRequest {
  /** In `currency`'s minor units by Stripe's rules (tools/money.ts): 10050 = $100.50, 500 = ¥500. */
  amountMinor: number;
  /** ISO 4217, lower case. */
  currency: string;
  description: string;
  interval: 'one_time' | 'month' | 'year';
  customerEmail?: string | undefined;
  /**
   * Carried on the session and back on its events: tenant id, estimate/product ids, and
   * `brainops_checkout` (our idempotency key); copied to the subscription or payment intent
   * too, so their events can be traced to the session even before it completes.
   */
  metadata: Record<string, string>;
  successUrl: string;
  cancelUrl: string;
  /** Sent as Stripe's Idempotency-Key: a retried call returns the same session. */
  idempotencyKey: string;
}

export interface PaymentsAdapter {
  readonly mode: 'stripe' | 'sandbox';
  createCheckout(req: CheckoutRequest): Promise<{ id: string; url: string }>;
  /**
   * Expires an open checkout session, so that its link can no longer be paid (Stripe's
   * `POST /v1/checkout/sessions/:id/expire`). Answers the session's status afterwards:
   * `expired`, or `complete` when it was paid first (Stripe refuses to expire it then).
   * The sandbox has no remote state: its sessions live in `checkout_sessions` only.
   */
  expireCheckout(id: string): Promise<'expired' | 'complete'>;
  /**
   * Verifies a webhook's signature over its raw body and its timestamp (within the tolerance,
   * in either direction); throws WEBHOOK_SIGNATURE_MISSING / WEBHOOK_SIGNATURE_INVALID /
   * WEBHOOK_TIMESTAMP (400), or INVALID_EVENT (400) for a signed body that is not JSON.
   * Returns the parsed body, still to be checked (tools/stripe-events.ts).
   */
  verify(rawBody: Buffer | string, signature: string | undefined): Promise<unknown>;
  /** Signs a payload as Stripe would (the sandbox's pay page and the self-test use it). */
  sign(payload: string): Promise<string>;
}

/** How far a webhook signature's timestamp may be from now, either way (Stripe's default: 5 minutes). */
export const WEBHOOK_TOLERANCE_S = 300;

export function createPayments(config: Config, secrets: SystemSecrets, baseUrl: () => string): PaymentsAdapter {
  // The fetch-based client (a documented Stripe option) instead of the default node:http one:
  // it goes through the same undici dispatcher as every other outbound call, so recorded
  // HTTP can serve it in tests and proxy/dispatcher settings apply in production too.
  // Retries are safe because every create carries its Idempotency-Key.
  const stripe = new Stripe(config.STRIPE_SECRET_KEY ?? 'sk_test_sandbox_offline', {
    maxNetworkRetries: 2,
    httpClient: Stripe.createFetchHttpClient(),
  });
  const webhookSecret = async () => config.STRIPE_WEBHOOK_SECRET ?? `whsec_${await secrets.get('stripe_sandbox_webhook')}`;
  const live = config.STRIPE_SECRET_KEY !== undefined;
  return {
    mode: live ? 'stripe' : 'sandbox',
    async createCheckout(req) {
      if (!live) {
        const id = `cs_sandbox_${randomBytes(12).toString('hex')}`;
        return { id, url: `${baseUrl()}/sandbox/checkout/${id}` };
      }
      const session = await stripe.checkout.sessions
        .create(
          {
            mode: req.interval === 'one_time' ? 'payment' : 'subscription',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: req.currency,
                  unit_amount: req.amountMinor,
                  product_data: { name: req.description },
                  ...(req.interval === 'one_time' ? {} : { recurring: { interval: req.interval } }),
                },
              },
            ],
            success_url: req.successUrl,
            cancel_url: req.cancelUrl,
            metadata: req.metadata,
            ...(req.interval === 'one_time'
              ? { payment_intent_data: { metadata: req.metadata } }
              : { subscription_data: { metadata: req.metadata } }),
            ...(req.customerEmail ? { customer_email: req.customerEmail } : {}),
          },
          { idempotencyKey: req.idempotencyKey },
        )
        .catch((e: unknown) => {
          throw stripeFailure(e);
        });
      if (!session.url) throw new AppError('STRIPE_NO_URL', 'Stripe created a checkout session without a URL.', { status: 502 });
      return { id: session.id, url: session.url };
    },
    async expireCheckout(id) {
      if (!live) return 'expired';
      try {
        await stripe.checkout.sessions.expire(id);
        return 'expired';
      } catch (e) {
        // Only an open session can be expired: a refusal means it is already complete or expired.
        if (!(e instanceof Stripe.errors.StripeInvalidRequestError)) throw stripeFailure(e);
        const s = await stripe.checkout.sessions.retrieve(id).catch((err: unknown) => {
          throw stripeFailure(err);
        });
        return s.status === 'complete' ? 'complete' : 'expired';
      }
    },
    async verify(rawBody, signature) {
      if (!signature) throw new AppError('WEBHOOK_SIGNATURE_MISSING', 'The Stripe-Signature header is missing.', { status: 400 });
      let event: unknown;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, await webhookSecret(), WEBHOOK_TOLERANCE_S);
      } catch (e) {
        if (!(e instanceof Stripe.errors.StripeSignatureVerificationError))
          throw new AppError('INVALID_EVENT', 'The signed Stripe event is not JSON.', { status: 400 });
        const old = /tolerance/i.test(e.message);
        throw new AppError(
          old ? 'WEBHOOK_TIMESTAMP' : 'WEBHOOK_SIGNATURE_INVALID',
          old
            ? `The Stripe signature's timestamp is more than ${WEBHOOK_TOLERANCE_S} s old.`
            : `The Stripe signature does not match this body: ${e.message}`,
          {
            status: 400,
          },
        );
      }
      // The library refuses only old timestamps; one from the future is as suspect (a replay
      // prepared in advance, or a clock gone wrong) and is refused the same way.
      const t = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
      if (!Number.isFinite(t) || t > Date.now() / 1000 + WEBHOOK_TOLERANCE_S)
        throw new AppError('WEBHOOK_TIMESTAMP', `The Stripe signature's timestamp is more than ${WEBHOOK_TOLERANCE_S} s in the future.`, {
          status: 400,
        });
      return event;
    },
    async sign(payload) {
      return stripe.webhooks.generateTestHeaderString({ payload, secret: await webhookSecret() });
    },
  };
}

/**
 * A Stripe library error as our AppError: 502 (the provider failed us, not the caller's
 * request), retryable for network/5xx/rate-limit failures; 409 when Stripe saw this
 * idempotency key with other parameters. Anything else is rethrown as is.
 */
function stripeFailure(e: unknown): unknown {
  if (!(e instanceof Stripe.errors.StripeError)) return e;
  if (e.type === 'StripeIdempotencyError')
    return new AppError('IDEMPOTENCY_KEY_REUSED', `Stripe saw this idempotency key with other parameters: ${e.message}`, {
      status: 409,
      cause: e,
    });
  const retryable =
    e.type === 'StripeConnectionError' || e.type === 'StripeAPIError' || e.type === 'StripeRateLimitError' || (e.statusCode ?? 0) >= 500;
  return new AppError(
    'STRIPE_FAILED',
    `Stripe refused or failed the request (${e.type}${e.statusCode ? ` ${e.statusCode}` : ''}): ${e.message}`,
    {
      status: 502,
      retryable,
      details: { type: e.type, code: e.code ?? null, requestId: e.requestId ?? null },
      cause: e,
    },
  );
}
