import { describe, expect, it } from 'vitest';
import { dunningStage, reconcile, reminderTemplate } from './core.ts';

describe('billing reconciliation', () => {
  it('classifies each invoice to the cent and reports unmatched payments', () => {
    const r = reconcile(
      [
        { estimateId: 'e1', amountUsd: 1000, dueAt: '2025-06-01' },
        { estimateId: 'e2', amountUsd: 500.1, dueAt: '2025-06-01' },
        { estimateId: 'e3', amountUsd: 300, dueAt: '2025-06-01' },
        { estimateId: 'e4', amountUsd: 200, dueAt: '2025-06-01' },
      ],
      [
        { id: 'p1', estimateId: 'e1', amountUsd: 600, paidAt: '2025-06-02' },
        { id: 'p2', estimateId: 'e1', amountUsd: 400, paidAt: '2025-06-03' },
        { id: 'p3', estimateId: 'e2', amountUsd: 0.1, paidAt: '2025-06-03' },
        { id: 'p4', estimateId: 'e4', amountUsd: 250, paidAt: '2025-06-03' },
        { id: 'p5', estimateId: 'zzz', amountUsd: 99, paidAt: '2025-06-03' },
      ],
    );
    expect(r.invoices.map((i) => [i.estimateId, i.status, i.paidUsd, i.balanceUsd])).toEqual([
      ['e1', 'paid', 1000, 0],
      ['e2', 'partial', 0.1, 500],
      ['e3', 'unpaid', 0, 300],
      ['e4', 'overpaid', 250, -50],
    ]);
    expect(r.unmatchedPayments.map((p) => p.id)).toEqual(['p5']);
    // invoiced 1000 + 500.10 + 300 + 200; collected 1000 + 0.10 + 250; outstanding 500 + 300
    expect(r.totals).toEqual({ invoicedUsd: 2000.1, collectedUsd: 1250.1, outstandingUsd: 800 });
  });
});

describe('dunning schedule', () => {
  const now = new Date('2025-07-01T12:00:00Z');
  const inv = (dueAt: string, lastReminder: 'friendly' | 'firm' | 'final' | null = null) => ({ dueAt, balanceUsd: 100, lastReminder });
  it('picks the latest stage reached and never repeats one', () => {
    expect(dunningStage(inv('2025-07-01T00:00:00Z'), now)).toBeNull(); // 0 days
    expect(dunningStage(inv('2025-06-30T00:00:00Z'), now)).toEqual({ stage: 'friendly', daysOverdue: 1 });
    expect(dunningStage(inv('2025-06-24T00:00:00Z'), now)).toEqual({ stage: 'firm', daysOverdue: 7 });
    expect(dunningStage(inv('2025-06-24T00:00:00Z', 'firm'), now)).toBeNull();
    expect(dunningStage(inv('2025-06-10T00:00:00Z', 'friendly'), now)).toEqual({ stage: 'final', daysOverdue: 21 });
    expect(dunningStage(inv('2025-05-01T00:00:00Z', 'final'), now)).toEqual({ stage: 'collections', daysOverdue: 61 });
    expect(dunningStage({ dueAt: '2025-05-01', balanceUsd: 0, lastReminder: null }, now)).toBeNull();
  });

  it('writes a finished reminder a customer can read, with no internal label', () => {
    const [i] = reconcile([{ estimateId: 'e9', amountUsd: 42.5, dueAt: '2025-06-01' }], []).invoices;
    const text = reminderTemplate(i!, 'final', 30, 'Acme Roofing');
    expect(text).toContain('Final notice: $42.50 for estimate e9 is 30 days overdue');
    expect(text).not.toMatch(/template|language model/i);
    expect(text.endsWith('— Acme Roofing')).toBe(true);
  });
});
