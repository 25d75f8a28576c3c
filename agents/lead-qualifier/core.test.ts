import { describe, expect, it } from 'vitest';
import { route, scoreLead } from './core.ts';

const NOW = new Date('2025-06-30T12:00:00Z');

describe('lead scoring', () => {
  it('scores a hot referral with every component worked out by hand', () => {
    const s = scoreLead(
      {
        email: 'a@b.com',
        phone: '+15125550100',
        source: 'referral',
        valueUsd: 15_000,
        notes: 'Storm damage, needs a quote ASAP',
        stage: 'new',
        createdAt: '2025-06-30T00:00:00Z',
        inServiceArea: true,
      },
      NOW,
    );
    // fit 5+5+10 = 20; intent 20 + 3 x 4 (asap, storm, quote, damage) = 32 → 25;
    // value 25 x 15000/20000 = 18.75 → 18.8; recency 25 x 0.5^(0.5/14) = 24.39 → 24.4
    expect(s.components).toEqual({ fit: 20, intent: 25, value: 18.8, recency: 24.4 });
    expect(s.score).toBe(88);
    expect(s.suggestedStage).toBe('qualified');
    expect(s.explanation[1]).toContain('(capped)');
  });

  it('scores a stale ad lead with nothing known low and leaves it where it is', () => {
    const s = scoreLead({ source: 'google ads', stage: 'new', createdAt: '2025-05-05T12:00:00Z', inServiceArea: false }, NOW);
    // fit 0; intent 10; value 5 (unknown); recency 56 days = 4 half-lives: 25/16 = 1.5625 → 1.6
    expect(s.components).toEqual({ fit: 0, intent: 10, value: 5, recency: 1.6 });
    expect(s.score).toBe(17);
    expect(s.suggestedStage).toBe('new');
  });

  it('counts signals from memory and halves recency every 14 days', () => {
    const s = scoreLead(
      {
        email: 'x@y.z',
        source: 'landing page',
        valueUsd: 8000,
        stage: 'new',
        createdAt: '2025-06-01T00:00:00Z',
        lastActivityAt: '2025-06-16T12:00:00Z',
        memorySignals: 1,
      },
      NOW,
    );
    // fit 5 + 5 (area unknown) = 10; intent 14 + 3 = 17; value 10; recency 14 days → 12.5
    expect(s.components).toEqual({ fit: 10, intent: 17, value: 10, recency: 12.5 });
    expect(s.score).toBe(50);
    // Worth contacting, but nobody has: the stage stays a fact.
    expect(s.suggestedStage).toBe('new');
    expect(s.suggestedAction).toBe('contact');
  });

  it('routes only forward, and never to contacted', () => {
    expect(route('new', 45)).toBe('new');
    expect(route('new', 69)).toBe('new');
    expect(route('new', 70)).toBe('qualified');
    expect(route('contacted', 45)).toBe('contacted');
    expect(route('contacted', 75)).toBe('qualified');
    expect(route('estimate_sent', 99)).toBe('estimate_sent');
    expect(route('lost', 90)).toBe('lost');
    expect(route('new', 10)).toBe('new');
  });
});
