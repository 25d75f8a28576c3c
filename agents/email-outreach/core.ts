/**
 * Email outreach rules: who may be written to (audience), how fast (throttle) and what
 * they get when no model writes the draft (template).
 *
 * Audience: a contact is excluded, with its reason, when it has no valid email, is
 * unsubscribed (by flag or by the suppression list, case-insensitive), was contacted within
 * `quietDays`, does not carry every segment tag, or repeats an email already included.
 * Throttle: at most `perHour` sends in any clock hour and `perDay` in a day; sends are
 * spread evenly inside each hour, starting at `start`.
 * @module
 */

export interface Contact {
  id: string;
  name?: string | null;
  email?: string | null;
  tags?: string[];
  unsubscribed?: boolean;
  lastContactedAt?: string | null;
}

export interface AudienceRules {
  segmentTags?: string[];
  quietDays?: number;
  unsubscribed?: Iterable<string>;
}

export type ExclusionReason = 'no_valid_email' | 'unsubscribed' | 'recently_contacted' | 'not_in_segment' | 'duplicate_email';

export interface Audience {
  included: Contact[];
  excluded: { id: string; reason: ExclusionReason }[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DAY = 86_400_000;

export function selectAudience(contacts: Contact[], rules: AudienceRules, now: Date): Audience {
  const suppressed = new Set([...(rules.unsubscribed ?? [])].map((e) => e.trim().toLowerCase()));
  const seen = new Set<string>();
  const included: Contact[] = [];
  const excluded: Audience['excluded'] = [];
  const quietMs = (rules.quietDays ?? 7) * DAY;
  for (const c of contacts) {
    const email = c.email?.trim().toLowerCase() ?? '';
    let reason: ExclusionReason | undefined;
    if (!EMAIL.test(email)) reason = 'no_valid_email';
    else if (c.unsubscribed || suppressed.has(email)) reason = 'unsubscribed';
    else if (rules.segmentTags?.some((t) => !(c.tags ?? []).includes(t))) reason = 'not_in_segment';
    else if (c.lastContactedAt && now.getTime() - new Date(c.lastContactedAt).getTime() < quietMs) reason = 'recently_contacted';
    else if (seen.has(email)) reason = 'duplicate_email';
    if (reason) {
      excluded.push({ id: c.id, reason });
      continue;
    }
    seen.add(email);
    included.push({ ...c, email });
  }
  return { included, excluded };
}

/** Send times for `count` messages under the hourly and daily caps. */
export function throttle(count: number, caps: { perHour: number; perDay: number }, start: Date): Date[] {
  if (caps.perHour < 1 || caps.perDay < 1) throw new Error('Throttle caps must be at least 1.');
  const perDay = caps.perDay;
  const hoursPerDay = Math.ceil(perDay / caps.perHour);
  const gapMs = 3_600_000 / caps.perHour;
  const out: Date[] = [];
  for (let i = 0; i < count; i++) {
    const day = Math.floor(i / perDay);
    const inDay = i % perDay;
    const hour = Math.floor(inDay / caps.perHour);
    const slot = inDay % caps.perHour;
    if (hour >= hoursPerDay) throw new Error('unreachable: hour past the day');
    out.push(new Date(start.getTime() + day * DAY + hour * 3_600_000 + slot * gapMs));
  }
  return out;
}

/** The template follow-up: finished text a recipient can read (whether a model wrote it is in the output's metadata, never here). */
export function templateDraft(
  contact: Contact,
  campaign: { subject: string; offer: string; sender: string },
): { subject: string; body: string } {
  const first = contact.name?.trim().split(/\s+/)[0];
  return {
    subject: campaign.subject,
    body: [
      `Hi ${first || 'there'},`,
      '',
      campaign.offer,
      '',
      'Reply to this email or call us to book a free inspection.',
      '',
      `— ${campaign.sender}`,
      '',
      'To stop receiving these emails, reply "unsubscribe".',
    ].join('\n'),
  };
}
