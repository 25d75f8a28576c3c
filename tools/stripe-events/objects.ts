/**
 * The shapes of the Stripe objects BrainOps reads from webhook events (checkout sessions,
 * invoices, subscriptions, charges, refunds, disputes), as zod parses them: only the fields
 * their event types need, everything else passed through.
 * @module
 */
import { z } from 'zod';

/** A Stripe id, or an expanded object's id. */
const ref = z
  .union([z.string().min(1), z.looseObject({ id: z.string().min(1) })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === 'string' ? v : v.id));
const currency = z
  .string()
  .regex(/^[a-zA-Z]{3}$/, 'must be a 3-letter currency code')
  .transform((c) => c.toLowerCase());
const minor = z.number().int().nonnegative();
const metadata = z.record(z.string(), z.string()).nullish();

export const sessionObject = z.looseObject({
  object: z.literal('checkout.session'),
  id: z.string().min(1),
  mode: z.enum(['payment', 'subscription', 'setup']).default('payment'),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  amount_total: minor.nullable(),
  currency: currency.nullable(),
  currency_conversion: z.looseObject({ amount_total: minor, source_currency: currency }).nullish(),
  payment_intent: ref,
  subscription: ref,
  invoice: ref,
});
export const invoiceObject = z.looseObject({
  object: z.literal('invoice'),
  id: z.string().min(1),
  amount_paid: minor,
  currency,
  billing_reason: z.string().nullish(),
  // API versions before 2025-03-31 name the subscription and the payment intent at the top level.
  subscription: ref.optional(),
  payment_intent: ref.optional(),
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: ref, metadata }).nullish() }).nullish(),
  payments: z
    .looseObject({ data: z.array(z.looseObject({ payment: z.looseObject({ payment_intent: ref.optional() }).nullish() })) })
    .nullish(),
  status_transitions: z.looseObject({ paid_at: z.number().int().nullish() }).nullish(),
});
export const subscriptionObject = z.looseObject({
  object: z.literal('subscription'),
  id: z.string().min(1),
  status: z.string().min(1),
  currency,
  cancel_at_period_end: z.boolean().nullish(),
  canceled_at: z.number().int().nullish(),
  metadata,
  items: z.looseObject({
    data: z.array(
      z.looseObject({
        quantity: z.number().int().nullish(),
        price: z.looseObject({
          unit_amount: minor.nullable(),
          currency,
          recurring: z
            .looseObject({ interval: z.enum(['day', 'week', 'month', 'year']), interval_count: z.number().int().min(1) })
            .nullable(),
        }),
      }),
    ),
  }),
});
export const chargeObject = z.looseObject({
  object: z.literal('charge'),
  id: z.string().min(1),
  amount_refunded: minor,
  currency,
  payment_intent: ref,
});
export const refundObject = z.looseObject({
  object: z.literal('refund'),
  id: z.string().min(1),
  amount: minor,
  currency,
  status: z.string().nullish(),
  payment_intent: ref,
});
export const disputeObject = z.looseObject({
  object: z.literal('dispute'),
  id: z.string().min(1),
  amount: minor,
  currency,
  status: z.string().min(1),
  payment_intent: ref,
});

export type Event<O> = { id: string; type: string; created: number; object: O };
export type Session = z.output<typeof sessionObject>;
export type Invoice = z.output<typeof invoiceObject>;
export type Subscription = z.output<typeof subscriptionObject>;
export type Dispute = z.output<typeof disputeObject>;
