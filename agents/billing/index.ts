/**
 * billing: money in. Reconciles accepted estimates against the payments given (a Stripe or
 * bank export) to the cent, creates Stripe checkout links for the balance of unpaid and partly paid ones, and drafts dunning
 * reminders for overdue ones at the stage they reached (1/7/14/30 days; core.ts). Reminders
 * are drafts: sending them is email-outreach's job, behind its approval. A link that cannot be
 * made for one estimate (a balance above what one link can charge, MAX_CHECKOUT_USD; any other
 * refusal about that estimate) is skipped with its reason (`skippedLinks`): the run goes on. An
 * estimate that already has an open link for its balance keeps it (reused, not replaced); only a
 * link for another amount is replaced (and expired).
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { AppError, defineAgent } from '../../runtime/public.ts';
import { money, rememberSafe } from '../tooling.ts';
import { DUNNING, dunningStage, reconcile, reminderTemplate, type Invoice } from './core.ts';
import { estimatesList } from '../../tools/estimates.ts';
import { paymentsList, stripeCheckoutCreate, tooLargeForOneLink } from '../../tools/revenue.ts';
import { MAX_CHECKOUT_USD } from '../../tools/money.ts';
import { MONEY_COLUMN_MAX_USD, usd } from '../../tools/util.ts';
import { count } from '../text.ts';

/** An ISO 8601 date (2026-11-01) or date-time with its offset (2026-11-01T09:30:00Z), of the years 1 to 9999. */
const isoDateOrTime = z
  .string()
  .refine(
    (v) => (z.iso.date().safeParse(v).success || z.iso.datetime({ offset: true }).safeParse(v).success) && v >= '0001',
    'must be an ISO date (2026-11-01) or date-time (2026-11-01T09:30:00Z)',
  );

export const billingInput = z.object({
  payments: z
    .array(
      z.object({
        // Shown back (unmatchedPayments) and compared with the others: a name people read.
        id: label(200).describe("The payment's id in its export (a Stripe charge id, a bank reference)"),
        estimateId: z.string().nullable().optional(),
        amountUsd: usd(0.01, MONEY_COLUMN_MAX_USD),
        paidAt: isoDateOrTime,
      }),
    )
    // Reconciliation sums a payment per entry: one id given twice would count it twice.
    .superRefine((ps, c) => {
      const first = new Map<string, number>();
      ps.forEach((p, n) => {
        const at = first.get(p.id);
        if (at === undefined) return void first.set(p.id, n);
        c.addIssue({
          code: 'custom',
          path: [n, 'id'],
          message: `payment id '${p.id}' is given twice (payments.${at} and payments.${n}); give each payment once`,
        });
      });
    })
    .optional()
    .describe('Payments to reconcile (e.g. a bank export); omitted: the stored Stripe payments (payments_list)'),
  termsDays: z.number().int().min(0).max(365).default(14).describe('Days after acceptance that payment is due'),
  remindersSent: z
    .record(z.string(), z.enum(DUNNING.map((d) => d.stage) as [string, ...string[]]))
    .default({})
    .describe('Last reminder stage sent, by estimate id'),
  createCheckoutLinks: z.boolean().default(true),
  company: label(200).default('The BrainOps Roofing team').describe('Who signs the reminders'),
  now: z.iso.datetime().optional(),
});

export const billingOutput = z.object({
  invoices: z.array(
    z.object({
      estimateId: z.string(),
      amountUsd: z.number(),
      paidUsd: z.number(),
      balanceUsd: z.number(),
      status: z.string(),
      dueAt: z.string(),
      checkoutUrl: z.string().optional(),
    }),
  ),
  unmatchedPayments: z.array(z.object({ id: z.string(), amountUsd: z.number() })),
  skippedLinks: z
    .array(z.object({ estimateId: z.string(), code: z.string(), reason: z.string() }))
    .describe('Estimates whose checkout link was not made, and why (e.g. a balance above what one link can charge)'),
  reminders: z.array(z.object({ estimateId: z.string(), stage: z.string(), daysOverdue: z.number(), text: z.string(), model: z.string() })),
  totals: z.object({ invoicedUsd: z.number(), collectedUsd: z.number(), outstandingUsd: z.number() }),
});

const DAY = 86_400_000;

export default defineAgent({
  name: 'billing',
  description:
    'Reconciles payments against accepted estimates, creates Stripe checkout links for the balance of unpaid and partly paid ones, and drafts dunning reminders for overdue ones.',
  version: '1.0.0',
  input: billingInput,
  output: billingOutput,
  tools: [estimatesList, paymentsList, stripeCheckoutCreate],
  async run(ctx) {
    const i = ctx.input;
    const now = new Date(await ctx.step('clock', () => i.now ?? new Date().toISOString()));
    const { estimates } = await ctx.tools.estimates_list({ status: 'accepted', limit: 200 });
    const invoices: Invoice[] = estimates.map((e) => ({
      estimateId: e.id,
      customerId: e.customerId,
      amountUsd: e.totalUsd,
      dueAt: new Date(new Date(e.updatedAt).getTime() + i.termsDays * DAY).toISOString(),
      lastReminder: (i.remindersSent[e.id] as Invoice['lastReminder']) ?? null,
    }));
    // Without a payments export, reconcile against what Stripe's webhooks stored.
    // A payment in another currency that Stripe sent no conversion for has no US-dollar amount
    // (amountUsd null): it cannot settle a dollar invoice, and stays out of the reconciliation.
    const payments =
      i.payments ??
      (await ctx.tools.payments_list({ status: 'matched', limit: 1000 })).payments.flatMap((p) =>
        p.amountUsd === null ? [] : [{ ...p, amountUsd: p.amountUsd }],
      );
    const r = reconcile(invoices, payments);
    await ctx.progress(40, `${r.invoices.length} invoices reconciled`);

    const links = new Map<string, string>();
    const skippedLinks: { estimateId: string; code: string; reason: string }[] = [];
    if (i.createCheckoutLinks) {
      const checkout = ctx.tools.stripe_checkout_create;
      // A partly paid invoice gets a link for its balance, never for the whole amount again.
      for (const inv of r.invoices.filter((x) => (x.status === 'unpaid' || x.status === 'partial') && x.balanceUsd > 0)) {
        // One estimate's link that cannot be made is skipped with its reason: the others still get theirs.
        if (inv.balanceUsd > MAX_CHECKOUT_USD) {
          const e = tooLargeForOneLink(inv.balanceUsd, { estimateId: inv.estimateId });
          skippedLinks.push({ estimateId: inv.estimateId, code: e.code, reason: e.message });
          continue;
        }
        try {
          // An open link for this same balance (emailed in an earlier reminder, or made by hand) is
          // answered as it is, not replaced: a new one would expire the link the customer holds.
          const made = await checkout({ estimateId: inv.estimateId, amountUsd: inv.balanceUsd, reuseOpen: true });
          links.set(inv.estimateId, made.session.url);
        } catch (e) {
          // A refusal about this estimate (4xx: paid meanwhile, no longer accepted, above its stored balance);
          // anything else (an outage, an interrupt) stops the run as before.
          if (!(e instanceof AppError) || e.status >= 500) throw e;
          skippedLinks.push({ estimateId: inv.estimateId, code: e.code, reason: e.message });
        }
      }
    }
    const reminders = [];
    for (const inv of r.invoices) {
      const due = dunningStage(inv, now);
      if (!due) continue;
      const link = links.get(inv.estimateId);
      const t = await ctx.llm.generate(`reminder:${inv.estimateId}`, {
        system:
          'You write short, polite payment reminders for a roofing company. Match the tone to the stage (friendly, firm, final, collections). Use only the facts given. Under 90 words.',
        prompt: `Stage: ${due.stage}\nBalance: ${money(inv.balanceUsd)}\nEstimate: ${inv.estimateId}\nDays overdue: ${due.daysOverdue}\n${link ? `Pay here: ${link}\n` : ''}Company: ${i.company}`,
        fallback: () => reminderTemplate(inv, due.stage, due.daysOverdue, i.company) + (link ? `\nPay online: ${link}` : ''),
      });
      reminders.push({ estimateId: inv.estimateId, stage: due.stage, daysOverdue: due.daysOverdue, text: t.text, model: t.model });
    }
    await rememberSafe(
      ctx,
      `Billing run ${now.toISOString().slice(0, 10)}: invoiced ${money(r.totals.invoicedUsd)}, collected ${money(r.totals.collectedUsd)}, outstanding ${money(r.totals.outstandingUsd)}; ${count(reminders.length, 'reminder')} drafted.`,
      { kind: 'billing_run' },
    );
    return {
      invoices: r.invoices.map((x) => ({
        estimateId: x.estimateId,
        amountUsd: x.amountUsd,
        paidUsd: x.paidUsd,
        balanceUsd: x.balanceUsd,
        status: x.status,
        dueAt: x.dueAt,
        ...(links.has(x.estimateId) ? { checkoutUrl: links.get(x.estimateId)! } : {}),
      })),
      unmatchedPayments: r.unmatchedPayments.map((p) => ({ id: p.id, amountUsd: p.amountUsd })),
      skippedLinks,
      reminders,
      totals: r.totals,
    };
  },
});
