import { describe, expect, it } from 'vitest';
import { businessValue, needsApproval, parseApprovalPolicy, parseRateLimits, valuePriority } from './policy.ts';

describe('approval policy', () => {
  const policy = parseApprovalPolicy('send_email=0, ad_spend=50');
  it('holds back listed actions from their threshold on, and lets the rest through', () => {
    expect(needsApproval(policy, { action: 'send_email', summary: 's' }).required).toBe(true);
    expect(needsApproval(policy, { action: 'ad_spend', summary: 's', amountUsd: 49.99 }).required).toBe(false);
    expect(needsApproval(policy, { action: 'ad_spend', summary: 's', amountUsd: 50 }).required).toBe(true);
    expect(needsApproval(policy, { action: 'internal_note', summary: 's' }).required).toBe(false);
  });
  it('applies * to actions it does not name', () => {
    expect(needsApproval(parseApprovalPolicy('*=0'), { action: 'anything', summary: 's' }).required).toBe(true);
    expect(needsApproval(parseApprovalPolicy('*=100,refund=0'), { action: 'publish', summary: 's', amountUsd: 10 }).required).toBe(false);
  });
});

describe('rate limits', () => {
  it('parses agent=max/durationMs pairs', () => {
    expect([...parseRateLimits('estimator=60/60000, ad-manager=10/1000')]).toEqual([
      ['estimator', { max: 60, durationMs: 60000 }],
      ['ad-manager', { max: 10, durationMs: 1000 }],
    ]);
    expect(parseRateLimits(undefined).size).toBe(0);
  });
});

describe('value-aware priority', () => {
  it('grows with the order of magnitude of the business value', () => {
    expect(valuePriority({ valueUsd: 99 })).toBe(200);
    expect(valuePriority({ dealSizeUsd: 9999 })).toBe(400);
    expect(valuePriority({ lead: { leadValueUsd: 999_999 } })).toBe(600);
    expect(valuePriority({ valueUsd: 1e300 })).toBe(1000);
    expect(valuePriority({})).toBe(0);
    expect(valuePriority({ valueUsd: -5 })).toBe(0);
  });
  it('halves it for a tenant with under 20% of its daily budget left', () => {
    expect(valuePriority({ valueUsd: 9999 }, { dailyUsd: 10, remainingUsd: 1 })).toBe(200);
    expect(valuePriority({ valueUsd: 9999 }, { dailyUsd: 10, remainingUsd: 5 })).toBe(400);
  });
  it('reads the first value field it finds', () => {
    expect(businessValue({ amountUsd: 5, valueUsd: 7 })).toBe(7);
    expect(businessValue('x')).toBe(0);
  });
});
