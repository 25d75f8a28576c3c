/**
 * Aurea's offline planner: rules that turn the parts of a free-form request that match an
 * agent's input into sub-tasks. A request is split into clauses ("and", ";", ".", "then",
 * new lines); each clause is matched by the rules below, and a clause no rule understands is
 * returned as `unhandled` — Aurea says so instead of guessing.
 *
 *   estimate   "<n> sq ft" (sqft, square feet, sf) [+ "<r>/12"] [+ material] → estimator
 *   compete    "competitor(s)" / "competition" [+ "in <area>"]          → competitor-analysis
 *   leads      "qualify|score ... leads"                                  → lead-qualifier
 *   revenue    "revenue|sales report|numbers|mrr"                         → revenue-analyst
 *   ads        "ad(s) budget|campaign(s)" [+ "$<n>"]                      → ad-manager
 *   billing    "overdue|invoice(s)|unpaid|dunning|billing"                → billing
 * @module
 */

export interface PlannedTask {
  agent: string;
  input: Record<string, unknown>;
  /** The words of the request this sub-task answers. */
  clause: string;
}

export interface Plan {
  tasks: PlannedTask[];
  unhandled: string[];
}

const MATERIALS: [RegExp, string][] = [
  [/architectural|dimensional|laminate/i, 'architectural_shingle'],
  [/3[- ]?tab|three[- ]tab/i, 'three_tab_shingle'],
  [/metal|standing seam/i, 'metal'],
  [/tile|clay|concrete tile/i, 'tile'],
];

const num = (s: string): number => Number(s.replace(/,/g, ''));

type Rule = (clause: string) => Omit<PlannedTask, 'clause'> | undefined;

const RULES: Rule[] = [
  (c) => {
    const area = /(\d[\d,]*(?:\.\d+)?)\s*(?:sq\.?\s*(?:ft|feet)|sqft|square\s*(?:feet|foot)|sf)\b/i.exec(c);
    if (!area) return undefined;
    const pitch = /\b(\d{1,2})\s*(?:\/|in)\s*12\b/i.exec(c);
    const material = MATERIALS.find(([re]) => re.test(c))?.[1] ?? 'architectural_shingle';
    const layers = /(\d)\s*layers?/i.exec(c);
    return {
      agent: 'estimator',
      input: {
        roofAreaSqFt: num(area[1]!),
        pitch: `${pitch ? pitch[1] : '6'}/12`,
        material,
        ...(layers ? { layersToRemove: Number(layers[1]) } : {}),
      },
    };
  },
  (c) => {
    if (!/competit/i.test(c)) return undefined;
    const area = /\b(?:in|around|near)\s+([A-Z][\w .'-]*?)(?:\s*$|[,.;])/.exec(c);
    return { agent: 'competitor-analysis', input: area ? { serviceArea: area[1]!.trim() } : {} };
  },
  (c) => (/\b(qualif|scor|triage)\w*\b.*\bleads?\b|\bleads?\b.*\b(qualif|scor)/i.test(c) ? { agent: 'lead-qualifier', input: {} } : undefined),
  (c) => {
    if (!/\bads?\b|advert|campaign/i.test(c)) return undefined;
    const budget = /\$\s*(\d[\d,]*(?:\.\d+)?)/.exec(c);
    return { agent: 'ad-manager', input: budget ? { totalDailyBudgetUsd: num(budget[1]!) } : {} };
  },
  (c) => (/overdue|invoice|unpaid|dunning|billing|payments?\b/i.test(c) ? { agent: 'billing', input: {} } : undefined),
  (c) => (/revenue|sales report|\bnumbers\b|\bmrr\b|weekly report/i.test(c) ? { agent: 'revenue-analyst', input: {} } : undefined),
];

/** Splits a request into clauses: "and", "then", ";", sentence ends and new lines. */
export function clauses(message: string): string[] {
  return message
    .split(/\n|;|(?<=[a-z0-9)])\.\s+|\s+(?:and then|then|and also|and|also|plus)\s+(?=[a-z])/i)
    .map((s) => s.trim().replace(/^(?:and then|then|and also|and|also|plus)\s+/i, '').replace(/[.!?]+$/, ''))
    .filter((s) => s.length > 0);
}

export function planOffline(message: string): Plan {
  const tasks: PlannedTask[] = [];
  const unhandled: string[] = [];
  for (const clause of clauses(message)) {
    const hit = RULES.map((r) => r(clause)).find(Boolean);
    if (hit) tasks.push({ ...hit, clause });
    else unhandled.push(clause);
  }
  return { tasks, unhandled };
}
