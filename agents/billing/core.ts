/**
 * Billing rules: reconcile payments against accepted estimates (invoices), and decide which
 * dunning reminder an overdue invoice is due for.
 *
 * Reconciliation: payments match an invoice by `estimateId`; an invoice is `paid` when
 * payments cover its amount to the cent, `partial` when some but not all, `overpaid` when
 * more, `unpaid` when none. Payments naming no known invoice are reported as unmatched.
 * Dunning: reminders at 1, 7, 14 and 30 days past due (friendly, firm, final, collections);
 * an invoice gets the latest stage it has reached, once — never a stage it already had.
 * @module
 */
import { count } from '../text.ts';

export interface Invoice {
  estimateId: string;
  customerId?: string | null;
  customerEmail?: string | null;
  amountUsd: number;
  /** When payment is due (ISO date). */
  dueAt: string;
  /** The last dunning stage already sent, if any. */
  lastReminder?: DunningStage | null;
}

export interface Payment {
  id: string;
  estimateId?: string | null;
  amountUsd: number;
  paidAt: string;
}

export type InvoiceStatus = 'paid' | 'partial' | 'unpaid' | 'overpaid';

export interface ReconciledInvoice extends Invoice {
  paidUsd: number;
  balanceUsd: number;
  status: InvoiceStatus;
  payments: string[];
}

export interface Reconciliation {
  invoices: ReconciledInvoice[];
  unmatchedPayments: Payment[];
  totals: { invoicedUsd: number; collectedUsd: number; outstandingUsd: number };
}

const cents = (n: number): number => Math.round(n * 100);
const usd = (c: number): number => c / 100;

export function reconcile(invoices: Invoice[], payments: Payment[]): Reconciliation {
  const byEstimate = new Map<string, Payment[]>();
  const known = new Set(invoices.map((i) => i.estimateId));
  const unmatched: Payment[] = [];
  for (const p of payments) {
    if (p.estimateId && known.has(p.estimateId)) byEstimate.set(p.estimateId, [...(byEstimate.get(p.estimateId) ?? []), p]);
    else unmatched.push(p);
  }
  let invoiced = 0;
  let collected = 0;
  let outstanding = 0;
  const out = invoices.map((inv) => {
    const mine = byEstimate.get(inv.estimateId) ?? [];
    const paid = mine.reduce((a, p) => a + cents(p.amountUsd), 0);
    const due = cents(inv.amountUsd);
    const status: InvoiceStatus = paid === 0 ? 'unpaid' : paid < due ? 'partial' : paid === due ? 'paid' : 'overpaid';
    invoiced += due;
    collected += paid;
    outstanding += Math.max(0, due - paid);
    return { ...inv, paidUsd: usd(paid), balanceUsd: usd(due - paid), status, payments: mine.map((p) => p.id) };
  });
  return {
    invoices: out,
    unmatchedPayments: unmatched,
    totals: { invoicedUsd: usd(invoiced), collectedUsd: usd(collected), outstandingUsd: usd(outstanding) },
  };
}

export const DUNNING = [
  { stage: 'friendly', afterDays: 1 },
  { stage: 'firm', afterDays: 7 },
  { stage: 'final', afterDays: 14 },
  { stage: 'collections', afterDays: 30 },
] as const;
export type DunningStage = (typeof DUNNING)[number]['stage'];

const DAY = 86_400_000;

/** The reminder an invoice is due for now, or null (not overdue, or that stage was sent). */
export function dunningStage(
  inv: Pick<ReconciledInvoice, 'dueAt' | 'balanceUsd' | 'lastReminder'>,
  now: Date,
): { stage: DunningStage; daysOverdue: number } | null {
  if (inv.balanceUsd <= 0) return null;
  const daysOverdue = Math.floor((now.getTime() - new Date(inv.dueAt).getTime()) / DAY);
  const reached = [...DUNNING].reverse().find((d) => daysOverdue >= d.afterDays);
  if (!reached) return null;
  const sent = inv.lastReminder ? DUNNING.findIndex((d) => d.stage === inv.lastReminder) : -1;
  if (DUNNING.findIndex((d) => d.stage === reached.stage) <= sent) return null;
  return { stage: reached.stage, daysOverdue };
}

/** The template reminder: finished text a customer can read (whether a model wrote it is in the output's metadata, never here). */
export function reminderTemplate(inv: ReconciledInvoice, stage: DunningStage, daysOverdue: number, company: string): string {
  const amount = `$${inv.balanceUsd.toFixed(2)}`;
  const line: Record<DunningStage, string> = {
    friendly: `A friendly reminder: ${amount} for estimate ${inv.estimateId} was due ${count(daysOverdue, 'day')} ago.`,
    firm: `Your balance of ${amount} for estimate ${inv.estimateId} is now ${count(daysOverdue, 'day')} overdue. Please pay at your earliest convenience.`,
    final: `Final notice: ${amount} for estimate ${inv.estimateId} is ${count(daysOverdue, 'day')} overdue. Please pay within 7 days.`,
    collections: `Your balance of ${amount} for estimate ${inv.estimateId} is ${count(daysOverdue, 'day')} overdue and will be referred for collection unless paid.`,
  };
  return `${line[stage]}\n\nIf you have already paid, thank you, and please disregard this message.\n\n— ${company}`;
}
