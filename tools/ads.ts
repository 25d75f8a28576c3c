/**
 * Ad campaigns: budget, status and a plan. Applying a plan goes through the Google Ads
 * adapter (dry-run by default: recorded in ads_actions, nothing spent). ADS_DAILY_SPEND_CAP_USD
 * caps the account's daily spend: no campaign's budget above it, and no apply that would take
 * the active campaigns' budgets together above it.
 * @module
 */
import { z } from 'zod';
import { label } from '../runtime/text.ts';
import { AppError, notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool, type Ctx } from './services.ts';
import { cursor, id, iso, limit, num, newestFirst, usd } from './util.ts';

const CHANNELS = ['google_search', 'google_display', 'google_local', 'facebook', 'other'] as const;

const campaignRecord = z.object({
  id: z.string(),
  name: z.string(),
  channel: z.string(),
  dailyBudgetUsd: z.number(),
  status: z.enum(['draft', 'active', 'paused']),
  plan: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

interface Row {
  id: string;
  name: string;
  channel: string;
  daily_budget_usd: string;
  status: 'draft' | 'active' | 'paused';
  plan: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toCampaign = (r: Row) => ({
  id: r.id,
  name: r.name,
  channel: r.channel,
  dailyBudgetUsd: num(r.daily_budget_usd),
  status: r.status,
  plan: r.plan,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

function checkCap(ctx: Ctx, dailyBudgetUsd: number): void {
  const cap = ctx.services.config.ADS_DAILY_SPEND_CAP_USD;
  if (dailyBudgetUsd > cap) {
    throw new AppError('SPEND_CAP_EXCEEDED', `A daily budget of $${dailyBudgetUsd} is above the $${cap} cap (ADS_DAILY_SPEND_CAP_USD).`, {
      status: 422,
      details: { dailyBudgetUsd, capUsd: cap },
      retryable: false,
    });
  }
}

/** Refuses an apply that would take the active campaigns' daily budgets together above the cap. */
function checkTotal(ctx: Ctx, othersUsd: number, dailyBudgetUsd: number): void {
  const cap = ctx.services.config.ADS_DAILY_SPEND_CAP_USD;
  const total = Math.round((othersUsd + dailyBudgetUsd) * 100) / 100;
  if (total > cap)
    throw new AppError(
      'SPEND_CAP_EXCEEDED',
      `With this budget the active campaigns would spend $${total.toFixed(2)} a day in total ($${othersUsd.toFixed(2)} on the others), above the $${cap} cap (ADS_DAILY_SPEND_CAP_USD): lower a budget, pause a campaign, or raise the cap.`,
      { status: 422, details: { totalDailyUsd: total, othersUsd, dailyBudgetUsd, capUsd: cap }, retryable: false },
    );
}

/** The `ads_campaigns_list` tool's handle: agents that declare it call it typed. */
export const adsCampaignsList = businessTool({
  name: 'ads_campaigns_list',
  description: 'List ad campaigns, newest first.',
  input: z.object({ status: z.enum(['draft', 'active', 'paused']).optional(), limit, cursor }),
  output: z.object({
    campaigns: z.array(campaignRecord),
    nextCursor: z.string().nullable(),
    mode: z.enum(['dry_run', 'live']),
    dailySpendCapUsd: z.number(),
  }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/ads/campaigns' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const p = await newestFirst<Row>(sql, i, {
        select: 'SELECT * FROM ads_campaigns',
        where: ['($1::text IS NULL OR status = $1)'],
        params: [i.status ?? null],
      });
      return {
        campaigns: p.rows.map(toCampaign),
        nextCursor: p.nextCursor,
        mode: ctx.services.ads.mode,
        dailySpendCapUsd: ctx.services.config.ADS_DAILY_SPEND_CAP_USD,
      };
    }),
});

/** The `ads_campaign_apply_plan` tool's handle: agents that declare it call it typed. */
export const adsCampaignApplyPlan = businessTool({
  name: 'ads_campaign_apply_plan',
  description:
    'Apply a budget/bid plan to a campaign through the ads adapter (dry-run unless live is configured); refuses spend above the cap.',
  input: z
    .object({
      id,
      dailyBudgetUsd: usd(0, 1_000_000),
      bids: z.record(z.string().min(1).max(80), usd(0, 1000)).optional(),
      activate: z.boolean().default(true),
    })
    .strict(),
  output: z.object({
    campaign: campaignRecord,
    action: z.object({ mode: z.enum(['dry_run', 'live']), operations: z.array(z.unknown()), replayed: z.boolean() }),
  }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'ads.budget_applied',
    subject: (i) => `ads_campaign:${i.id}`,
    details: (i, o) => ({ dailyBudgetUsd: i.dailyBudgetUsd, bids: i.bids ?? {}, mode: o.action.mode, replayed: o.action.replayed }),
  },
  route: { method: 'POST', path: '/api/v1/ads/campaigns/:id/apply' },
  replaysItself: true,
  async handler(i, ctx) {
    checkCap(ctx, i.dailyBudgetUsd);
    const key = `ads:${ctx.idempotencyKey}`;
    // One transaction from the cap check to the write, under the tenant's ads lock: two applies at
    // once are checked one after the other, each against what the other wrote, so together they
    // cannot pass the cap. The platform call is inside it (dry run: no I/O; live: bounded by the
    // adapter's timeout), so the lock is held until what it applied is recorded.
    return ctx.tx(async (sql) => {
      await sql.query(`SELECT pg_advisory_xact_lock(hashtext('brainops.ads.' || $1))`, [ctx.tenantId]);
      const c = await sql.query<Row>(`SELECT * FROM ads_campaigns WHERE id = $1`, [i.id]);
      const campaign = c.rows[0];
      if (!campaign) throw notFound('Ad campaign', i.id);
      const prev = await sql.query<{ mode: 'dry_run' | 'live'; payload: { operations: unknown[] } }>(
        `SELECT mode, payload FROM ads_actions WHERE idempotency_key = $1`,
        [key],
      );
      if (prev.rows[0])
        return {
          campaign: toCampaign(campaign),
          action: { mode: prev.rows[0].mode, operations: prev.rows[0].payload.operations, replayed: true },
        };
      // The cap is on what the account spends a day: this campaign (if it runs) and the other active ones.
      if (i.activate || campaign.status === 'active') {
        const others = await sql.query<{ usd: string }>(
          `SELECT COALESCE(sum(daily_budget_usd), 0) AS usd FROM ads_campaigns WHERE status = 'active' AND id <> $1`,
          [i.id],
        );
        checkTotal(ctx, num(others.rows[0]!.usd), i.dailyBudgetUsd);
      }
      // The ads adapter is Google Ads: a campaign of another channel is never sent there. Its
      // plan is recorded (nothing sent: 'dry_run') for a person to apply in that channel's tool.
      const result: { mode: 'dry_run' | 'live'; operations: unknown[]; resourceNames?: string[] } = campaign.channel.startsWith('google_')
        ? await ctx.services.ads.apply({ campaignId: i.id, name: campaign.name, dailyBudgetUsd: i.dailyBudgetUsd, bids: i.bids }, key)
        : {
            mode: 'dry_run',
            operations: [
              {
                record: { channel: campaign.channel, dailyBudgetUsd: i.dailyBudgetUsd, bids: i.bids ?? {} },
                note: `BrainOps has no adapter for ${campaign.channel}: apply this plan in the channel's own ads manager.`,
              },
            ],
          };
      await sql.query(
        `INSERT INTO ads_actions (tenant_id, campaign_id, mode, payload, idempotency_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
        [
          ctx.tenantId,
          i.id,
          result.mode,
          JSON.stringify({
            operations: result.operations,
            dailyBudgetUsd: i.dailyBudgetUsd,
            bids: i.bids ?? {},
            ...(result.resourceNames ? { resourceNames: result.resourceNames } : {}),
          }),
          key,
        ],
      );
      const r = await sql.query<Row>(
        `UPDATE ads_campaigns SET daily_budget_usd = $2, plan = plan || $3::jsonb, status = CASE WHEN $4 THEN 'active' ELSE status END, updated_at = now() WHERE id = $1 RETURNING *`,
        [i.id, i.dailyBudgetUsd, JSON.stringify({ bids: i.bids ?? {}, lastAppliedMode: result.mode }), i.activate],
      );
      return { campaign: toCampaign(r.rows[0]!), action: { mode: result.mode, operations: result.operations, replayed: false } };
    });
  },
});

export const adsTools: AnyTool[] = [
  adsCampaignsList,
  businessTool({
    name: 'ads_campaign_create',
    description: 'Create an ad campaign (status draft) with a daily budget within the spend cap.',
    input: z
      .object({
        name: label(200),
        channel: z.enum(CHANNELS),
        dailyBudgetUsd: usd(0, 1_000_000),
        keywords: z.array(label(80)).max(200).default([]),
        targetArea: z.array(label(100)).max(100).default([]),
      })
      .strict(),
    output: z.object({ campaign: campaignRecord }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: 'ads.campaign_created',
      subject: (_i, o) => `ads_campaign:${o.campaign.id}`,
      details: (i) => ({ name: i.name, channel: i.channel, dailyBudgetUsd: i.dailyBudgetUsd }),
    },
    route: { method: 'POST', path: '/api/v1/ads/campaigns', status: 201 },
    handler: (i, ctx) => {
      checkCap(ctx, i.dailyBudgetUsd);
      return ctx.tx(async (sql) => {
        const r = await sql.query<Row>(
          `INSERT INTO ads_campaigns (tenant_id, name, channel, daily_budget_usd, plan) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [ctx.tenantId, i.name, i.channel, i.dailyBudgetUsd, JSON.stringify({ keywords: i.keywords, targetArea: i.targetArea })],
        );
        return { campaign: toCampaign(r.rows[0]!) };
      });
    },
  }),
  adsCampaignApplyPlan,
];
