/**
 * What business tools are composed with: configuration, the integrations (each with its
 * offline sandbox) and helpers. Built once per process, from the kernel's database, by the
 * composition root (workers/compose.ts).
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { Config } from '../runtime/config.ts';
import type { Db } from '../runtime/db/driver.ts';
import { defineTool, type ToolDefinition, type ToolInputSchema, type ToolContext } from '../runtime/tools.ts';
import { createAdsAdapter, type AdsAdapter, type AdsAdapterOptions } from './integrations/ads.ts';
import { createEmailTransport, type EmailTransport } from './integrations/email.ts';
import { systemSecrets, type SystemSecrets } from './integrations/secrets.ts';
import { createPayments, type PaymentsAdapter } from './integrations/stripe.ts';

export interface BusinessServices {
  config: Config;
  payments: PaymentsAdapter;
  email: EmailTransport;
  ads: AdsAdapter;
  secrets: SystemSecrets;
  /** Absolute base of links we hand out (emails, checkout pages). */
  baseUrl(): string;
}

export type Ctx = ToolContext<BusinessServices>;

/** defineTool with the business services typed in the handler's context. */
export const businessTool = <const N extends string, I extends ToolInputSchema, O extends z.ZodType>(
  def: ToolDefinition<I, O, BusinessServices, N>,
) => defineTool(def);

export interface ServiceOverrides {
  fetch?: typeof fetch;
  /** Passed to the Google Ads adapter (the client library's hooks, a clock, a version). */
  ads?: AdsAdapterOptions;
}

export function createServices(config: Config, db: Db, o: ServiceOverrides = {}): BusinessServices {
  const secrets = systemSecrets(db);
  const baseUrl = () => (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  return {
    config,
    secrets,
    baseUrl,
    payments: createPayments(config, secrets, baseUrl),
    email: createEmailTransport(config, o.fetch),
    ads: createAdsAdapter(config, o.ads),
  };
}

/** A signed unsubscribe token for (tenant, email): base64url payload + HMAC. */
export async function unsubscribeToken(s: BusinessServices, tenantId: string, email: string): Promise<string> {
  const payload = Buffer.from(JSON.stringify([tenantId, email])).toString('base64url');
  const mac = createHmac('sha256', await s.secrets.get('unsubscribe'))
    .update(payload)
    .digest('base64url');
  return `${payload}.${mac}`;
}

/** The (tenant, email) a token was signed for, or undefined when it is forged or malformed. */
export async function readUnsubscribeToken(s: BusinessServices, token: string): Promise<{ tenantId: string; email: string } | undefined> {
  const [payload, mac] = token.split('.');
  if (!payload || !mac) return undefined;
  const want = createHmac('sha256', await s.secrets.get('unsubscribe'))
    .update(payload)
    .digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  try {
    const [tenantId, email] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string];
    return typeof tenantId === 'string' && typeof email === 'string' ? { tenantId, email } : undefined;
  } catch {
    return undefined;
  }
}
