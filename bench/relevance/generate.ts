/**
 * Writes bench/relevance/fixture.json: a labelled relevance set for memory recall, generated
 * deterministically (seeded PRNG, fixed word lists) so it can be reviewed, regenerated and
 * diffed. `npx tsx bench/relevance/generate.ts` rewrites it; the bench only reads the JSON.
 *
 * Memories: a roofing business's customers (quotes, acceptances, invoices, contact
 * preferences, follow-ups), competitors' bids, the price list, crew notes and office rules.
 * They are built to be confusable: every customer has several memories that share the
 * customer's name, every job type appears for many customers, some customers share a surname
 * or a street, and prices are close to each other (near-misses). Some facts are stated twice
 * in different words (paraphrases), and both count as relevant.
 *
 * Queries: each names the memories that answer it (`expected`, ids), and a `style`:
 *   - `name`: carries a customer or crew name, a town or a street (rare words);
 *   - `id`: carries an invoice or job number;
 *   - `paraphrase`: says it in other words than the memory (few shared rare words).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureMemory {
  id: string;
  content: string;
  kind: string;
  agent: string;
}
export interface FixtureQuery {
  id: string;
  text: string;
  expected: string[];
  style: 'name' | 'id' | 'paraphrase';
}
export interface Fixture {
  memories: FixtureMemory[];
  queries: FixtureQuery[];
}

/** mulberry32: a small seeded PRNG, so the fixture is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Dana',
  'Greg',
  'Maria',
  'Tom',
  'Priya',
  'Luis',
  'Karen',
  'Omar',
  'Beth',
  'Jamal',
  'Sofia',
  'Hank',
  'Mei',
  'Victor',
  'Rosa',
  'Derek',
  'Aisha',
  'Frank',
  'Nina',
  'Colin',
  'Tara',
  'Raj',
  'Wendy',
  'Pete',
  'Lena',
];
const LAST = [
  'Whitfield',
  'Hendricks',
  'Okafor',
  'Castellano',
  'Brennan',
  'Nakamura',
  'Lindqvist',
  'Abernathy',
  'Delgado',
  'Thornton',
  'Kowalski',
  'Ferreira',
  'Gallagher',
  'Haddad',
  'Iverson',
  'Jablonski',
  'Kincaid',
  'Larkin',
  'Montoya',
  'Novak',
  'Oyelaran',
  'Pemberton',
  'Quintero',
  'Rasmussen',
  'Sandoval',
  'Tremblay',
  'Underwood',
  'Vasquez',
  'Wexler',
  'Yamamoto',
  'Zielinski',
  'Ashford',
  'Beaumont',
  'Calloway',
  'Dunmore',
  'Eastwood',
  'Fairbanks',
  'Greenleaf',
  'Holloway',
  'Ingram',
  'Jorgensen',
  'Kessler',
  'Lockhart',
  'Marchetti',
  'Northcott',
  'Osei',
  'Prescott',
  'Redfern',
  'Stanhope',
  'Talbot',
  'Vance',
  'Whitlock',
  'Yardley',
  'Ainsworth',
  'Blackwood',
  'Cromwell',
  'Dalton',
  'Ellery',
  'Fenwick',
  'Garrison',
];
const TOWNS = [
  'Cedar Falls',
  'Maple Grove',
  'Riverton',
  'Oak Ridge',
  'Brookfield',
  'Fairview',
  'Lakewood',
  'Pine Bluff',
  'Westbrook',
  'Ashland',
];
const STREETS = [
  'Elm Street',
  'Birch Lane',
  'Harbor Road',
  'Summit Avenue',
  'Willow Court',
  'Mill Road',
  'Orchard Drive',
  'Quarry Lane',
  'Sunset Boulevard',
  'Kestrel Way',
  'Juniper Place',
  'Foxglove Road',
  'Granite Street',
  'Heron Drive',
  'Ivy Terrace',
];
/** Job types, each with how a customer or the office might say it in other words. */
const JOBS: { name: string; other: string }[] = [
  { name: 'roof replacement', other: 'a whole new roof' },
  { name: 'gutter cleaning', other: 'clearing out the eavestroughs' },
  { name: 'siding repair', other: 'fixing the exterior cladding' },
  { name: 'skylight installation', other: 'putting in a roof window' },
  { name: 'chimney flashing', other: 'sealing around the chimney' },
  { name: 'storm damage inspection', other: 'checking the roof after the hail' },
  { name: 'attic insulation', other: 'insulating the loft' },
  { name: 'metal roof install', other: 'a standing seam steel roof' },
  { name: 'leak repair', other: 'fixing where water comes in' },
  { name: 'soffit and fascia', other: 'the boards under the eaves' },
  { name: 'gutter guard install', other: 'mesh covers on the gutters' },
  { name: 'shingle repair', other: 'replacing a few blown-off tabs' },
];
const CONTACT: { memory: string; query: string }[] = [
  {
    memory: 'prefers text messages and never wants a phone call before 10am',
    query: 'How should we reach {first} {last}, and when is too early to call?',
  },
  {
    memory: 'wants every estimate by email, with photos of the damage attached',
    query: 'How does {first} {last} like to receive estimates?',
  },
  {
    memory: 'only answers the landline in the evening; the mobile goes to a full voicemail',
    query: 'What is the best time to phone {first} {last}?',
  },
  {
    memory: 'asked that all scheduling go through their property manager, not them directly',
    query: 'Who do we talk to about scheduling at the {last} place?',
  },
  {
    memory: 'has a large dog in the back yard; the side gate must be closed at all times',
    query: 'Anything the crew should watch out for at the {last} house?',
  },
  {
    memory: 'pays by paper check on completion and wants an itemised invoice in the mail',
    query: 'How does {first} {last} settle their bills?',
  },
];
const COMPETITORS = [
  'RoofPro',
  'Summit Exteriors',
  'ClearFlow Gutters',
  'Ironclad Roofing',
  'BlueSky Builders',
  'HomeShield',
  'Apex Contracting',
  'Valley Roof Co',
];
const CREWS = ['Marco', 'Jenna', 'Tyrell', 'Big Sam', 'Ingrid', 'Mateo', 'Kofi', 'Ruth'];
const CREW_NOTES: { memory: string; query: string }[] = [
  {
    memory: 'ladder access at {addr} is blocked by a fence; bring the 28 ft extension ladder and a plank',
    query: 'What ladder do we need at {addr}?',
  },
  {
    memory: 'found rotten decking under the shingles at {addr}; about 6 sheets of plywood needed',
    query: 'Did the crew find any rot at {addr}?',
  },
  {
    memory: 'the driveway at {addr} is steep and gravel: the dump trailer has to park on the street',
    query: 'Where can the trailer park at {addr}?',
  },
  {
    memory: 'neighbours at {addr} complained about nails in their lawn; run the magnet sweep twice',
    query: 'Any complaints from neighbours about the {street} job?',
  },
  {
    memory: 'wasp nest under the eaves at {addr}; spray it the evening before we start',
    query: 'Were there any insects or pests at {addr}?',
  },
  {
    memory: 'power line runs close to the roof edge at {addr}; call the utility before any metal work',
    query: 'Is there an electrical hazard at {addr}?',
  },
];
const POLICIES: { memory: string; query: string }[] = [
  {
    memory: 'Office rule: every estimate over $10,000 needs a second site visit by the owner before it is sent.',
    query: 'When does an estimate need the owner to visit the site too?',
  },
  {
    memory: 'We do not work on roofs steeper than 12/12 pitch without the harness anchor kit.',
    query: 'What safety gear is required on very steep roofs?',
  },
  {
    memory: 'Deposits are 30% on signing and the rest on completion; no work starts before the deposit clears.',
    query: 'How much deposit do we take before starting?',
  },
  {
    memory: 'Workmanship warranty is 10 years on full replacements and 2 years on repairs.',
    query: 'How long is our guarantee on a repair versus a full reroof?',
  },
  {
    memory: 'Building permits are needed for full replacements in Cedar Falls and Riverton, not for repairs.',
    query: 'Which towns make us pull a permit for a reroof?',
  },
  {
    memory: 'Crews stop work when wind gusts exceed 35 mph; reschedule rather than wait on site.',
    query: 'What do we do when it gets too windy on the job?',
  },
  {
    memory: 'Dumpster rental from Waste Hauler Inc costs $425 per week, booked two days ahead.',
    query: 'How much is a skip for a week and how early must we book it?',
  },
  {
    memory: 'Supplier ABC Supply gives us 8% off shingles when we order 40 bundles or more.',
    query: 'What bulk discount do we get on shingles?',
  },
  {
    memory: 'Our insurance certificate expires on March 31; renew it with Harbor Mutual in February.',
    query: 'When is our liability cover up for renewal?',
  },
  {
    memory: 'New hires shadow a crew lead for two weeks before working on a roof alone.',
    query: 'How is a new roofer trained before working unsupervised?',
  },
];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function generate(seed = 11): Fixture {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const memories: FixtureMemory[] = [];
  const queries: FixtureQuery[] = [];
  const add = (content: string, kind: string, agent: string): string => {
    const id = `m${String(memories.length + 1).padStart(3, '0')}`;
    memories.push({ id, content, kind, agent });
    return id;
  };
  const ask = (text: string, expected: string[], style: FixtureQuery['style']): void => {
    queries.push({ id: `q${String(queries.length + 1).padStart(3, '0')}`, text, expected, style });
  };
  const money = (lo: number, hi: number, step: number) => Math.round((lo + rnd() * (hi - lo)) / step) * step;
  const usd = (n: number) => `$${n.toLocaleString('en-US')}`;

  // --- Customers: 60 of them; the first names repeat, and every fifth shares a surname with the one before. ---
  interface Customer {
    first: string;
    last: string;
    town: string;
    street: string;
    addr: string;
    job: (typeof JOBS)[number];
  }
  const customers: Customer[] = [];
  for (let i = 0; i < 60; i++) {
    const last = i % 5 === 4 ? customers[i - 1]!.last : LAST[i]!;
    const street = pick(STREETS);
    customers.push({
      first: FIRST[i % FIRST.length]!,
      last,
      town: pick(TOWNS),
      street,
      addr: `${10 + Math.floor(rnd() * 980)} ${street}`,
      job: JOBS[i % JOBS.length]!,
    });
  }
  let invoiceNo = 10400;
  let jobNo = 2300;
  for (const [i, c] of customers.entries()) {
    const name = `${c.first} ${c.last}`;
    const price = money(c.job.name.includes('roof') ? 9000 : 300, c.job.name.includes('roof') ? 24000 : 4000, 25);
    const jobId = `J-${jobNo++}`;
    const quote = add(`Quoted ${name} ${usd(price)} for ${c.job.name} at ${c.addr}, ${c.town} (job ${jobId}).`, 'quote', 'estimator');
    ask(`How much did we quote ${name} for the ${c.job.name}?`, [quote], 'name');
    if (i % 3 === 0) ask(`What's the price on job ${jobId}?`, [quote], 'id');
    const contact = CONTACT[i % CONTACT.length]!;
    const pref = add(`${name} ${contact.memory}.`, 'customer', 'crm');
    ask(contact.query.replace('{first}', c.first).replace('{last}', c.last), [pref], 'paraphrase');
    const amount = Math.round(price * (0.3 + 0.7 * (i % 2)));
    const inv = `INV-${invoiceNo++}`;
    const paid =
      i % 4 === 0 ? 'unpaid, 30 days overdue' : i % 4 === 1 ? 'paid by card' : i % 4 === 2 ? 'paid by check' : 'sent, due in 14 days';
    const invoice = add(`Invoice ${inv} to ${name}: ${usd(amount)} for ${c.job.name}, ${paid}.`, 'invoice', 'billing');
    ask(`Has ${inv} been paid?`, [invoice], 'id');
    if (i % 2 === 0) {
      // A paraphrased acceptance: the same deal said another way; it answers "did they accept".
      const start = `${MONTHS[i % 12]} ${1 + (i % 27)}`;
      const accepted = add(
        `${c.first} ${c.last} said yes to ${c.job.other} at the price we gave; crew starts ${start}.`,
        'quote',
        'estimator',
      );
      ask(`When does work start for ${name}?`, [accepted], 'name');
      ask(`Did the ${c.last} family accept our price for ${c.job.other}?`, [accepted, quote], 'paraphrase');
    } else {
      const month = MONTHS[(i * 5) % 12]!;
      const other = JOBS[(i + 5) % JOBS.length]!;
      const follow = add(`${name} asked us to come back in ${month} to look at ${other.name} as well.`, 'followup', 'sales');
      ask(`Which other work is ${name} interested in?`, [follow], 'name');
    }
  }

  // --- Competitors: each bids in several towns (near-misses across towns and competitors). ---
  for (const [ci, comp] of COMPETITORS.entries()) {
    for (let r = 0; r < 6; r++) {
      const town = TOWNS[(ci * 3 + r) % TOWNS.length]!;
      const job = JOBS[(ci + r * 5) % JOBS.length]!;
      const bid = money(200, 20000, 50);
      const under = 5 + ((ci * 7 + r * 3) % 15);
      const id = add(`${comp} bid ${usd(bid)} for ${job.name} in ${town}, ${under}% under our quote.`, 'competitor', 'sales');
      if (r < 2) ask(`Who undercut us on ${job.name} in ${town}?`, [id], 'name');
      if (r === 2) ask(`By how much did ${comp} beat our price in ${town}?`, [id], 'name');
    }
    const note = add(
      `${comp} ${ci % 2 ? 'advertises a lifetime warranty but subcontracts all installs' : 'wins on price but their crews leave debris, according to customers'}.`,
      'competitor',
      'sales',
    );
    ask(`What do we know about how ${comp} works?`, [note], 'name');
  }

  // --- Price list: one entry per job type, plus a near-miss variant (premium tier). ---
  for (const [ji, job] of JOBS.entries()) {
    const base = money(ji < 6 ? 150 : 80, ji < 6 ? 900 : 400, 5);
    const std = add(`Standard price for ${job.name}: ${usd(base)} per visit plus materials.`, 'price', 'estimator');
    add(
      `Premium tier for ${job.name} with extended warranty: ${usd(Math.round(base * 1.6))} per visit plus materials.`,
      'price',
      'estimator',
    );
    ask(`What do we normally charge for ${job.other}?`, [std], 'paraphrase');
  }

  // --- Crew notes: every crew on several customers' jobs. ---
  for (const [i, c] of customers.entries()) {
    if (i % 2 === 1) continue;
    const crew = CREWS[i % CREWS.length]!;
    const n = CREW_NOTES[(i / 2) % CREW_NOTES.length]!;
    const id = add(`${crew}'s crew: ${n.memory.replace('{addr}', c.addr)}.`, 'crew-note', 'field');
    ask(n.query.replace('{addr}', c.addr).replace('{street}', c.street), [id], 'name');
  }
  for (const [ci, crew] of CREWS.entries()) {
    add(
      `${crew}'s crew is ${['fastest on tear-offs', 'best with metal roofing', 'certified for skylights', 'short one roofer until next month'][ci % 4]}.`,
      'crew-note',
      'field',
    );
  }

  // --- Office rules: paraphrase queries only. ---
  for (const p of POLICIES) ask(p.query, [add(p.memory, 'policy', 'office')], 'paraphrase');

  // --- Filler: the everyday notes that pile up (each mentions a customer, a job or a town, never the answer). ---
  const filler = [
    (c: Customer) => `Left a voicemail for ${c.first} ${c.last} about the ${c.job.name} schedule.`,
    (c: Customer) => `Drove past ${c.addr}, ${c.town}: the ${c.job.name} still looks good from the street.`,
    (c: Customer) => `Sent ${c.last} a thank-you card and a review request after the ${c.job.name}.`,
    (c: Customer) => `Ordered materials for ${c.job.name} in ${c.town}; delivery on ${pick(MONTHS)} ${1 + Math.floor(rnd() * 27)}.`,
  ];
  for (let i = 0; memories.length < 520; i++) {
    const c = customers[(i * 7) % customers.length]!;
    add(filler[Math.floor(i / customers.length) % filler.length]!(c), 'note', 'crm');
  }
  return { memories, queries };
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const f = generate();
  writeFileSync(join(here, 'fixture.json'), `${JSON.stringify(f, null, 1)}\n`);
  process.stdout.write(`bench/relevance/fixture.json: ${f.memories.length} memories, ${f.queries.length} queries\n`);
}
