/**
 * Aurea's planning rules: they turn a free-form request into sub-tasks offline, and check a
 * model's plan online (`finalizePlan`), so that both carry the whole request.
 *
 * A request is split into clauses ("and", ";", ".", "then", new lines). In each clause the
 * rules find the facts a sub-task needs — places ("in Denver", "in Texas"), amounts ("$250 a
 * day"), periods ("last 8 weeks"), dates ("by Friday") — and the agent the clause asks for.
 * A fact the chosen agent has no field for is never dropped in silence: it is listed in
 * `notPassed` and the reply says so. A clause no rule understands is `unhandled`.
 *
 *   email-outreach  "email|follow up|write to|reach out ... leads|customers" (stage, offer)
 *   landing-page    "landing page ..." (service, area, offer)
 *   estimator       "<n> sq ft" [+ pitch "6/12" "6:12" "6 in 12"] [+ material] [+ layers] (region from the place)
 *   competitor-analysis  "competitor|competition|market position" (market = place, region)
 *   lead-qualifier  "qualify|score|rank ... leads" (move only when asked to move them)
 *   ad-manager      "ads|campaign|ppc" ($/day budget; applies only when asked to set/change)
 *   billing         "overdue|invoice|unpaid|owe|billing" (pay links only when asked)
 *   revenue-analyst "revenue|sales|numbers|report" (weeks from the period)
 *   crm-sync        "sync|import ... crm|customers" (the CRM in the settings)
 *
 * Side effects are never planned unasked: lead-qualifier moves leads, ad-manager applies
 * budgets and billing creates pay links only when the clause asks for that; email-outreach,
 * landing-page and crm-sync run only when the request names what they do.
 * @module
 */

export interface PlannedTask {
  agent: string;
  input: Record<string, unknown>;
  /** The words of the request this sub-task answers. */
  clause: string;
  /** Facts of the clause the agent has no field for (the reply names them). */
  notPassed?: string[];
}

export interface Plan {
  tasks: PlannedTask[];
  unhandled: string[];
}

const MATERIALS: [RegExp, string][] = [
  [/architectural|dimensional|laminate/i, 'architectural_shingle'],
  [/3[- ]?tab|three[- ]tab/i, 'three_tab_shingle'],
  [/metal|standing seam/i, 'metal'],
  [/tile|clay/i, 'tile'],
];

/** Price regions of the estimator's book, by state (name or code) and by large city. */
const REGION_OF: [RegExp, string][] = [
  [/\b(texas|tx|austin|dallas|houston|san antonio|fort worth|el paso|round rock)\b/i, 'texas'],
  [/\b(florida|fl|miami|tampa|orlando|jacksonville)\b/i, 'florida'],
  [
    /\b(colorado|co|denver|boulder|aurora|arizona|az|phoenix|california|ca|los angeles|san diego|utah|ut|salt lake|nevada|nv|las vegas|oregon|or|portland|washington state|seattle|idaho|montana|new mexico|albuquerque)\b/i,
    'west',
  ],
  [
    /\b(new york|ny|nyc|boston|massachusetts|ma|new jersey|nj|pennsylvania|pa|philadelphia|pittsburgh|connecticut|ct|maine|vermont|new hampshire|rhode island)\b/i,
    'northeast',
  ],
  [
    /\b(illinois|il|chicago|ohio|oh|columbus|cleveland|michigan|mi|detroit|minnesota|mn|minneapolis|wisconsin|wi|indiana|indianapolis|iowa|missouri|mo|st\.? louis|kansas city|kansas|nebraska|omaha)\b/i,
    'midwest',
  ],
  [
    /\b(georgia|ga|atlanta|north carolina|nc|charlotte|raleigh|south carolina|sc|tennessee|tn|nashville|memphis|alabama|al|louisiana|la|new orleans|virginia|va|kentucky|ky|mississippi|arkansas|oklahoma|ok)\b/i,
    'south',
  ],
];

export const regionOf = (place: string): string | undefined => REGION_OF.find(([re]) => re.test(place))?.[1];

const num = (s: string): number => Number(s.replace(/,/g, ''));

/** The facts of one clause, before any agent is chosen. */
interface Facts {
  place?: string;
  amount?: { usd: number; text: string; perDay: boolean; perMonth: boolean };
  date?: string;
  period?: { weeks: number; text: string };
}

const WEEKDAY = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
const MONTH = 'january|february|march|april|may|june|july|august|september|october|november|december';

function factsOf(c: string): Facts {
  const f: Facts = {};
  // A place: "in|around|near|for <Capitalised words>" (not a month, a weekday or a material).
  const place = new RegExp(
    `\\b(?:in|around|near|across|for)\\s+((?:[A-Z][A-Za-z.'-]*)(?:\\s+[A-Z][A-Za-z.'-]*)*(?:,\\s*[A-Z]{2}\\b)?)`,
  ).exec(c);
  if (place && !new RegExp(`^(?:${WEEKDAY}|${MONTH}|Q[1-4])$`, 'i').test(place[1]!)) f.place = place[1]!.trim();
  const money = /\$\s*(\d[\d,]*(?:\.\d+)?)\s*(k\b)?(\s*(?:\/|per|a)\s*(day|month|mo)\b|\s*daily|\s*monthly)?/i.exec(c);
  if (money) {
    const unit = (money[3] ?? '').toLowerCase();
    f.amount = {
      usd: num(money[1]!) * (money[2] ? 1000 : 1),
      text: money[0].trim(),
      perDay: /day|daily/.test(unit),
      perMonth: /month|mo\b|monthly/.test(unit),
    };
  }
  const date = new RegExp(
    `\\b((?:by|before|until|on|after|from)\\s+(?:(?:next|this)\\s+)?(?:${WEEKDAY}|${MONTH}(?:\\s+\\d{1,2})?|\\d{1,2}\\/\\d{1,2}(?:\\/\\d{2,4})?|tomorrow|the end of the (?:week|month))|tomorrow|next week|this week|end of (?:the )?month)\\b`,
    'i',
  ).exec(c);
  if (date) f.date = date[1]!;
  const period = /\b(?:last|past|previous)\s+(\d{1,3})\s+(weeks?|months?)\b|\b(this|last)\s+(quarter|year|month)\b/i.exec(c);
  if (period) {
    const weeks = period[1]
      ? /month/i.test(period[2]!)
        ? Math.round(Number(period[1]) * 4.345)
        : Number(period[1])
      : /quarter/i.test(period[4]!)
        ? 13
        : /year/i.test(period[4]!)
          ? 52
          : 5;
    f.period = { weeks: Math.min(104, Math.max(4, weeks)), text: period[0] };
  }
  return f;
}

type Used = 'place' | 'amount' | 'date' | 'period';
interface Match {
  agent: string;
  input: Record<string, unknown>;
  used: Used[];
}
type Rule = (c: string, f: Facts) => Match | undefined;

const asksToMove = (c: string) => /\b(move|advance|promote|update (?:their|the) stages?|change (?:their|the) stages?)\b/i.test(c);
const asksToApply = (c: string) =>
  /\b(set|apply|change|shift|move|raise|lower|increase|decrease|cut|reallocate|rebalance|put|spend)\b/i.test(c);
const asksForLinks = (c: string) => /\b(pay(?:ment)? links?|checkout|collect|charge)\b/i.test(c);
const EMAIL_VERB = /\b(e-?mail|follow[- ]?up|write to|reach out|send (?:a |an )?(?:note|message|email)s?|message|contact)\b/i;
const PEOPLE = /\b(leads?|prospects?|customers?|clients?|contacts?|homeowners?)\b/i;

const RULES: Rule[] = [
  // Email before lead-qualifier: "email the qualified leads" is outreach, not scoring.
  (c) => {
    if (!EMAIL_VERB.test(c) || !PEOPLE.test(c)) return undefined;
    const leads = /\b(leads?|prospects?)\b/i.test(c);
    const stage = /\bqualified\b/i.exec(c)
      ? 'qualified'
      : /\bnew\b/i.test(c)
        ? 'new'
        : /\b(quoted|estimate[ _]sent)\b/i.test(c)
          ? 'estimate_sent'
          : 'contacted';
    const offer = /\b(?:about|offering)\s+(?:an?\s+|our\s+)?(.+?)$/i.exec(c)?.[1];
    return {
      agent: 'email-outreach',
      input: {
        audience: leads ? { from: 'leads', stage } : { from: 'contacts' },
        ...(offer ? { offer: `${offer[0]!.toUpperCase()}${offer.slice(1)}.` } : {}),
      },
      used: [],
    };
  },
  (c, f) => {
    if (!/\blanding[- ]?page|\bweb ?page\b/i.test(c)) return undefined;
    const service = /\bfor\s+(?:a\s+|our\s+)?([a-z][a-z -]*?)(?=\s+(?:in|around|near|with|offering)\b|$)/.exec(c)?.[1]?.trim();
    const offer = /\b(?:offering|with)\s+(?:an?\s+)?(.+?)$/i.exec(c)?.[1];
    const title = [service ? `${service[0]!.toUpperCase()}${service.slice(1)}` : 'Roofing', f.place].filter(Boolean).join(' ');
    return {
      agent: 'landing-page',
      input: { title, ...(service ? { service } : {}), ...(f.place ? { area: f.place } : {}), ...(offer ? { offer } : {}) },
      used: ['place'],
    };
  },
  (c, f) => {
    const area = /(\d[\d,]*(?:\.\d+)?)\s*(?:sq\.?\s*(?:ft|feet)|sqft|square\s*(?:feet|foot)|sf)\b/i.exec(c);
    if (!area) return undefined;
    const pitch = /\b(\d{1,2})\s*(?:\/|:|in)\s*12\b/i.exec(c);
    const material = MATERIALS.find(([re]) => re.test(c))?.[1] ?? 'architectural_shingle';
    const layers = /(\d)\s*layers?/i.exec(c);
    const region = f.place ? regionOf(f.place) : undefined;
    return {
      agent: 'estimator',
      input: {
        roofAreaSqFt: num(area[1]!),
        pitch: `${pitch ? pitch[1] : '6'}/12`,
        material,
        ...(layers ? { layersToRemove: Number(layers[1]) } : {}),
        ...(region ? { region } : {}),
      },
      used: region ? ['place'] : [],
    };
  },
  (c, f) => {
    if (!/competit|market position|against (?:other |local )?roofers|the market\b/i.test(c)) return undefined;
    const region = f.place ? regionOf(f.place) : undefined;
    return {
      agent: 'competitor-analysis',
      input: { ...(f.place ? { market: f.place } : {}), ...(region ? { region } : {}) },
      used: ['place'],
    };
  },
  (c) => {
    if (
      !/\b(qualif|scor|rank|triage|prioriti[sz])\w*\b.*\b(leads?|prospects?)\b|\b(leads?|prospects?)\b.*\b(qualif|scor|rank|prioriti[sz])/i.test(
        c,
      )
    )
      return undefined;
    const stages = /\bnew\b/i.test(c) ? ['new'] : /\bcontacted\b/i.test(c) ? ['contacted'] : undefined;
    return { agent: 'lead-qualifier', input: { move: asksToMove(c), ...(stages ? { stages } : {}) }, used: [] };
  },
  (c, f) => {
    if (!/\bads?\b|advert|campaign|\bppc\b|ad spend|ad budget/i.test(c)) return undefined;
    const used: Used[] = [];
    const input: Record<string, unknown> = { apply: asksToApply(c) };
    if (f.amount) {
      input.totalDailyBudgetUsd = f.amount.perMonth ? Math.round((f.amount.usd / 30.4) * 100) / 100 : f.amount.usd;
      used.push('amount');
    }
    if (f.place) {
      input.area = f.place;
      used.push('place');
    }
    return { agent: 'ad-manager', input, used };
  },
  (c) =>
    /overdue|invoice|unpaid|dunning|billing|\bowes?\b|\bowed\b|payments?\b/i.test(c)
      ? { agent: 'billing', input: { createCheckoutLinks: asksForLinks(c) }, used: [] }
      : undefined,
  (c, f) =>
    /revenue|\bsales\b|\bnumbers\b|\bmrr\b|\breport\b|how (?:are|were|is) (?:we|business) doing/i.test(c)
      ? { agent: 'revenue-analyst', input: f.period ? { weeks: f.period.weeks } : {}, used: f.period ? ['period'] : [] }
      : undefined,
  (c) => (/\b(sync|import|pull)\b.*\b(crm|customers?)\b|\bcrm\b.*\bsync/i.test(c) ? { agent: 'crm-sync', input: {}, used: [] } : undefined),
];

/** Splits a request into clauses: "and", "then", ";", sentence ends and new lines. */
export function clauses(message: string): string[] {
  return message
    .split(/\n|;|(?<=[a-z0-9)])\.\s+|\s+(?:and then|then|and also|and|also|plus)\s+(?=[a-z])/i)
    .map((s) =>
      s
        .trim()
        .replace(/^(?:and then|then|and also|and|also|plus)\s+/i, '')
        .replace(/[.!?]+$/, ''),
    )
    .filter((s) => s.length > 0);
}

function notPassedOf(f: Facts, used: Used[]): string[] {
  const out: string[] = [];
  if (f.place && !used.includes('place')) out.push(`in ${f.place}`);
  if (f.amount && !used.includes('amount')) out.push(f.amount.text);
  if (f.period && !used.includes('period')) out.push(f.period.text);
  if (f.date) out.push(f.date);
  return out;
}

const match = (clause: string): { f: Facts; hit: Match | undefined } => {
  const f = factsOf(clause);
  return { f, hit: RULES.map((r) => r(clause, f)).find(Boolean) };
};

export function planOffline(message: string): Plan {
  const tasks: PlannedTask[] = [];
  const unhandled: string[] = [];
  for (const clause of clauses(message)) {
    let { f, hit } = match(clause);
    if (!hit) {
      // A continuation of the previous clause ("... and move them forward", "... and send pay
      // links") belongs to its task when it changes that task's input; else it is unhandled.
      const prev = tasks.at(-1);
      const merged = prev ? match(`${prev.clause} and ${clause}`) : undefined;
      if (prev && merged?.hit?.agent === prev.agent && JSON.stringify(merged.hit.input) !== JSON.stringify(prev.input)) {
        tasks.pop();
        ({ f, hit } = merged);
        const notPassed = notPassedOf(f, merged.hit.used);
        tasks.push({
          agent: merged.hit.agent,
          input: merged.hit.input,
          clause: `${prev.clause} and ${clause}`,
          ...(notPassed.length ? { notPassed } : {}),
        });
        continue;
      }
      unhandled.push(clause);
      continue;
    }
    const notPassed = notPassedOf(f, hit.used);
    tasks.push({ agent: hit.agent, input: hit.input, clause, ...(notPassed.length ? { notPassed } : {}) });
  }
  return { tasks, unhandled };
}

/** Agents whose every run changes something outside: planned only when the request names it. */
const ASKED: Record<string, RegExp> = {
  'email-outreach': EMAIL_VERB,
  'landing-page': /\blanding|\bpage\b|\bpublish/i,
  'crm-sync': /\b(sync|import|pull)\b|\bcrm\b/i,
};

/**
 * A model's plan, made to carry the whole request and nothing unasked: each task gets the
 * facts the rules found for its agent where the model left them out (the model's own values
 * win); side-effect switches are off unless the request asks for them; an agent that only
 * acts (email, publishing, syncing) that the request does not name is not run but reported.
 */
export function finalizePlan(message: string, plan: Plan): Plan {
  const offline = planOffline(message);
  const tasks: PlannedTask[] = [];
  const unhandled = [...plan.unhandled];
  for (const t of plan.tasks) {
    const ask = ASKED[t.agent];
    if (ask && !ask.test(message)) {
      unhandled.push(`${t.clause || t.agent} (not run: the request does not ask ${t.agent} to act)`);
      continue;
    }
    const rule = offline.tasks.find((o) => o.agent === t.agent);
    const input: Record<string, unknown> = { ...(rule?.input ?? {}), ...t.input };
    // Side-effect switches follow the request, never the model's default.
    const words = rule?.clause ?? message;
    if (t.agent === 'lead-qualifier') input.move = asksToMove(words);
    if (t.agent === 'ad-manager') input.apply = asksToApply(words);
    if (t.agent === 'billing') input.createCheckoutLinks = asksForLinks(words);
    tasks.push({ agent: t.agent, input, clause: rule?.clause ?? t.clause, ...(rule?.notPassed ? { notPassed: rule.notPassed } : {}) });
  }
  return { tasks, unhandled };
}

/**
 * At most `max` characters of `text`, ending at a sentence end: never cut inside a word or a
 * sentence. The first sentence is kept whole even when it is longer.
 */
export function wholeSentences(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const ends = [...t.matchAll(/[.!?)](?=\s|$)/g)].map((m) => (m.index ?? 0) + 1);
  const within = ends.filter((e) => e <= max).at(-1);
  return t.slice(0, within ?? ends[0] ?? t.length).trim();
}
