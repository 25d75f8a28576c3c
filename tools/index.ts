/**
 * The business tools: every capability defined once (defineTool), from which routes, agent
 * tools, OpenAPI entries and availability checks are derived.
 * @module
 */
import type { AnyTool } from '../runtime/tools.ts';
import { adsTools } from './ads.ts';
import { auditTools } from './audit.ts';
import { digestTools } from './digests.ts';
import { settingsTools } from './settings.ts';
import { competitorTools } from './competitors.ts';
import { crmTools } from './crm.ts';
import { crmImportTools } from './crm-imports.ts';
import { dashboardTools } from './dashboard.ts';
import { emailTools } from './email.ts';
import { estimateTools } from './estimates.ts';
import { landingTools } from './landing.ts';
import { pipelineTools } from './pipeline.ts';
import { productTools } from './products.ts';
import { revenueTools } from './revenue.ts';

/** Every built-in business tool. */
export function businessTools(): AnyTool[] {
  return [
    ...crmTools,
    ...crmImportTools,
    ...pipelineTools,
    ...estimateTools,
    ...competitorTools,
    ...revenueTools,
    ...landingTools,
    ...adsTools,
    ...emailTools,
    ...dashboardTools,
    ...productTools,
    ...auditTools,
    ...settingsTools,
    ...digestTools,
  ];
}

export { createServices, readUnsubscribeToken, type BusinessServices, type ServiceOverrides } from './services.ts';
export { applyStripeEvent, sandboxCompletedEvent } from './stripe-events.ts';
export { expiredLink } from './estimate-payments.ts';
export { formatMoney } from './money.ts';
export { adsApiStatus } from './integrations/ads.ts';
export { unsubscribe } from './email.ts';
export { storeUpload } from './crm-imports.ts';
export { captureLead, leadInput } from './pipeline.ts';
export { FAQ, faqReply } from './products.ts';
export { SLUG } from './landing.ts';
export { settingsView } from './settings.ts';
