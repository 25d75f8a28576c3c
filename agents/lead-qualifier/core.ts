/**
 * Lead scoring: four components of 0-25 points each, summed to a 0-100 score, with a
 * sentence per component saying where its points came from.
 *
 *   fit      contact details (email 5, phone 5), service area (in 10, unknown 5, out 0),
 *            an existing customer 5
 *   intent   source weight (referral 20, estimate request 18, landing page 14, ads 10,
 *            other 6) + 3 per buying signal in the notes, capped at 25
 *   value    25 x min(valueUsd, 20,000) / 20,000; 5 when unknown
 *   recency  25 x 0.5^(days since last activity / 14): halves every two weeks
 *
 * Routing records judgements, never facts it cannot know: >= 70 → qualified (a judgement the
 * score makes); a lead is never moved to `contacted` by a score, because that stage records
 * that someone contacted them (email-outreach moves it when its email goes out). A score of
 * 40-69 suggests the action `contact` instead. Stages at or past `qualified` are never moved.
 * @module
 */
import { count } from '../text.ts';

export const STAGES = ['new', 'contacted', 'qualified', 'estimate_sent', 'won', 'lost'] as const;
export type Stage = (typeof STAGES)[number];

export interface LeadFacts {
  email?: string | null;
  phone?: string | null;
  source?: string | null;
  valueUsd?: number | null;
  notes?: string | null;
  stage: Stage;
  createdAt: string;
  lastActivityAt?: string | null;
  /** Whether the lead is in our service area; undefined when unknown. */
  inServiceArea?: boolean;
  existingCustomer?: boolean;
  /** Buying signals found in memory (e.g. a past accepted estimate), counted like note keywords. */
  memorySignals?: number;
}

export interface LeadScore {
  score: number;
  components: { fit: number; intent: number; value: number; recency: number };
  explanation: string[];
  suggestedStage: Stage;
  /** What a person should do next: `contact` (worth a call or an email), `nurture`, or nothing (already qualified or later). */
  suggestedAction: 'contact' | 'nurture' | null;
}

const SOURCE_WEIGHTS: [RegExp, number, string][] = [
  [/referr/i, 20, 'a referral'],
  [/estimate|quote/i, 18, 'an estimate request'],
  [/landing/i, 14, 'a landing page'],
  [/ads?\b|google|facebook|ppc/i, 10, 'an ad click'],
];
export const BUYING_SIGNALS = ['asap', 'urgent', 'leak', 'storm', 'insurance', 'quote', 'replace', 'damage', 'this week'] as const;

const DAY = 86_400_000;
const round1 = (n: number): number => Math.round(n * 10) / 10;

export function scoreLead(lead: LeadFacts, now: Date): LeadScore {
  const explanation: string[] = [];

  const fitParts: [number, string][] = [];
  if (lead.email) fitParts.push([5, 'email +5']);
  if (lead.phone) fitParts.push([5, 'phone +5']);
  if (lead.inServiceArea === true) fitParts.push([10, 'in service area +10']);
  else if (lead.inServiceArea === undefined) fitParts.push([5, 'service area unknown +5']);
  else fitParts.push([0, 'outside service area +0']);
  if (lead.existingCustomer) fitParts.push([5, 'existing customer +5']);
  const fit = fitParts.reduce((a, [p]) => a + p, 0);
  explanation.push(`fit ${fit}/25: ${fitParts.map(([, why]) => why).join(', ')}`);

  const source = SOURCE_WEIGHTS.find(([re]) => re.test(lead.source ?? ''));
  const base = source ? source[1] : 6;
  const notes = (lead.notes ?? '').toLowerCase();
  const signals = BUYING_SIGNALS.filter((s) => notes.includes(s));
  const memorySignals = lead.memorySignals ?? 0;
  const intent = Math.min(25, base + 3 * (signals.length + memorySignals));
  explanation.push(
    `intent ${intent}/25: ${source ? source[2] : `source '${lead.source ?? 'unknown'}'`} +${base}` +
      (signals.length ? `, buying signals (${signals.join(', ')}) +${3 * signals.length}` : '') +
      (memorySignals ? `, ${count(memorySignals, 'signal')} from memory +${3 * memorySignals}` : '') +
      (intent === 25 ? ' (capped)' : ''),
  );

  const value = lead.valueUsd == null ? 5 : round1((25 * Math.min(Math.max(lead.valueUsd, 0), 20_000)) / 20_000);
  explanation.push(
    lead.valueUsd == null ? 'value 5/25: job value unknown' : `value ${value}/25: $${lead.valueUsd} job (full marks from $20,000)`,
  );

  const last = new Date(lead.lastActivityAt ?? lead.createdAt).getTime();
  const days = Math.max(0, (now.getTime() - last) / DAY);
  const recency = round1(25 * 0.5 ** (days / 14));
  explanation.push(`recency ${recency}/25: last activity ${count(Math.floor(days), 'day')} ago (halves every 14 days)`);

  const score = Math.round(fit + intent + value + recency);
  const suggestedStage = route(lead.stage, score);
  const open = STAGES.indexOf(suggestedStage) < STAGES.indexOf('qualified');
  const suggestedAction = !open ? null : score >= 40 && lead.stage === 'new' ? 'contact' : 'nurture';
  return { score, components: { fit, intent, value, recency }, explanation, suggestedStage, suggestedAction };
}

/**
 * The stage a score routes a lead to: `qualified` from 70, else where it is. Never
 * backwards, never out of qualified or later, never to `contacted` (a fact, not a score).
 */
export function route(stage: Stage, score: number): Stage {
  const at = STAGES.indexOf(stage);
  if (at >= STAGES.indexOf('qualified')) return stage;
  return score >= 70 ? 'qualified' : stage;
}
