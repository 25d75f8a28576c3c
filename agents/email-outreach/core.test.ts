import { describe, expect, it } from 'vitest';
import { selectAudience, templateDraft, throttle } from './core.ts';

const NOW = new Date('2025-07-01T09:00:00Z');

describe('email audience', () => {
  it('excludes each contact for the right reason and keeps the rest', () => {
    const a = selectAudience(
      [
        { id: '1', name: 'Ann', email: 'Ann@Example.com', tags: ['storm'] },
        { id: '2', name: 'Bob', email: 'not-an-email', tags: ['storm'] },
        { id: '3', name: 'Cy', email: 'cy@example.com', tags: ['storm'], unsubscribed: true },
        { id: '4', name: 'Di', email: 'DI@example.com', tags: ['storm'] },
        { id: '5', name: 'Ed', email: 'ed@example.com', tags: ['storm'], lastContactedAt: '2025-06-28T09:00:00Z' },
        { id: '6', name: 'Flo', email: 'flo@example.com', tags: ['gutters'] },
        { id: '7', name: 'Ann again', email: 'ann@example.com', tags: ['storm'] },
        { id: '8', name: 'Gus', email: 'gus@example.com', tags: ['storm'], lastContactedAt: '2025-06-20T09:00:00Z' },
      ],
      { segmentTags: ['storm'], quietDays: 7, unsubscribed: ['di@example.com'] },
      NOW,
    );
    expect(a.included.map((c) => [c.id, c.email])).toEqual([
      ['1', 'ann@example.com'],
      ['8', 'gus@example.com'],
    ]);
    expect(a.excluded).toEqual([
      { id: '2', reason: 'no_valid_email' },
      { id: '3', reason: 'unsubscribed' },
      { id: '4', reason: 'unsubscribed' },
      { id: '5', reason: 'recently_contacted' },
      { id: '6', reason: 'not_in_segment' },
      { id: '7', reason: 'duplicate_email' },
    ]);
  });
});

describe('email throttle', () => {
  it('spreads sends evenly within the hourly cap and rolls over to the next day', () => {
    const t = throttle(7, { perHour: 2, perDay: 3 }, NOW).map((d) => d.toISOString());
    expect(t).toEqual([
      '2025-07-01T09:00:00.000Z',
      '2025-07-01T09:30:00.000Z',
      '2025-07-01T10:00:00.000Z',
      '2025-07-02T09:00:00.000Z',
      '2025-07-02T09:30:00.000Z',
      '2025-07-02T10:00:00.000Z',
      '2025-07-03T09:00:00.000Z',
    ]);
  });

  it('refuses a zero cap', () => {
    expect(() => throttle(1, { perHour: 0, perDay: 1 }, NOW)).toThrow(/at least 1/);
  });
});

describe('email template', () => {
  it('addresses the first name and reads as a finished email, with no internal label', () => {
    const d = templateDraft({ id: '1', name: ' Ann  Lee ' }, { subject: 'Storm check', offer: 'Free roof check.', sender: 'Acme Roofing' });
    expect(d.body.startsWith('Hi Ann,')).toBe(true);
    expect(d.body).not.toMatch(/template|language model/i);
    expect(d.body).toContain('unsubscribe');
  });
});
