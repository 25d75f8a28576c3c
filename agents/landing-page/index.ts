/**
 * landing-page: writes a campaign landing page (headline + body: a language step with an
 * offline template) and, once a person approves exactly that page (`landing.publish`, per
 * APPROVAL_POLICY), publishes it at /landing/:slug with lead capture, through the
 * `landing_page_publish` tool.
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { defineAgent } from '../../runtime/public.ts';
import { landingPagePublish } from '../../tools/landing.ts';

export const landingPageInput = z.object({
  title: label(200).describe('Internal title of the page (also the default slug)'),
  service: label(200).default('roof replacement').describe('What the page sells'),
  area: label(100).optional().describe('Town or region the campaign targets'),
  offer: label(300).optional().describe('The offer, e.g. "free inspection this month"'),
  audience: label(200).optional(),
  cta: label(100).default('Get my free estimate'),
  slug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,79}$/, 'slug must be 2-80 lowercase letters, digits or dashes')
    .optional(),
  campaignId: z.uuid().optional(),
});

export const landingPageOutput = z.object({
  pageId: z.string(),
  slug: z.string(),
  url: z.string(),
  headline: z.string(),
  body: z.string(),
  cta: z.string(),
  model: z.string(),
});

export default defineAgent({
  name: 'landing-page',
  description: 'Writes and publishes a campaign landing page with a lead-capture form.',
  version: '1.0.0',
  input: landingPageInput,
  output: landingPageOutput,
  tools: [landingPagePublish],
  approvals: ['landing.publish'],
  async run(ctx) {
    const i = ctx.input;
    const where = i.area ? ` in ${i.area}` : '';
    const copy = await ctx.llm.generate('copy', {
      system:
        'You write landing pages for a roofing company. First line: a headline of at most 12 words. Then 2-3 short paragraphs of plain text (no markdown), honest and specific. No prices unless given.',
      prompt: [
        `Service: ${i.service}${where}.`,
        i.offer ? `Offer: ${i.offer}.` : '',
        i.audience ? `Audience: ${i.audience}.` : '',
        `Call to action: ${i.cta}.`,
      ]
        .filter(Boolean)
        .join('\n'),
      fallback: () =>
        [
          `${i.service[0]!.toUpperCase()}${i.service.slice(1)}${where}, done right`,
          `Our crews handle ${i.service}${where} from inspection to clean-up, with written good/better/best options and manufacturer-backed warranties.`,
          i.offer ? `${i.offer[0]!.toUpperCase()}${i.offer.slice(1)}.` : 'Estimates are free and come with no obligation.',
          `Leave your details below and we will get back to you within one business day.`,
        ].join('\n\n'),
    });
    const [headline, ...rest] = copy.text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const body = rest.join('\n\n') || copy.text;
    await ctx.progress(60, 'copy written');
    const page = { title: i.title, headline: (headline ?? i.title).replace(/^#+\s*/, '').slice(0, 300), body, cta: i.cta };
    // Publishing puts words in public under the business's name: a person sees the page first.
    await ctx.approval({
      action: 'landing.publish',
      summary: `Publish the landing page "${i.title}"${i.slug ? ` at /landing/${i.slug}` : ''}.`,
      content: { page: { ...page, ...(i.slug ? { slug: i.slug } : {}) } },
    });
    const published = await ctx.tools.landing_page_publish({
      ...page,
      model: copy.model,
      ...(i.slug ? { slug: i.slug } : {}),
      ...(i.campaignId ? { campaignId: i.campaignId } : {}),
    });
    await ctx.progress(100, 'published');
    const p = published.page;
    return { pageId: p.id, slug: p.slug, url: p.url, headline: p.headline, body: p.body, cta: p.cta, model: p.model };
  },
});
