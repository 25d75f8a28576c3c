/** The built-in agents. Plugins add theirs through the plugin loader (runtime/plugins.ts). */
import type { AnyAgent } from '../runtime/public.ts';
import adManager from './ad-manager/index.ts';
import aurea from './aurea/index.ts';
import billing from './billing/index.ts';
import competitorAnalysis from './competitor-analysis/index.ts';
import crmSync from './crm-sync/index.ts';
import emailOutreach from './email-outreach/index.ts';
import estimator from './estimator/index.ts';
import landingPage from './landing-page/index.ts';
import leadQualifier from './lead-qualifier/index.ts';
import probe from './probe/index.ts';
import publicAssistant from './public-assistant/index.ts';
import revenueAnalyst from './revenue-analyst/index.ts';

export const builtInAgents: readonly AnyAgent[] = [
  probe,
  estimator,
  crmSync,
  leadQualifier,
  emailOutreach,
  adManager,
  billing,
  revenueAnalyst,
  aurea,
  competitorAnalysis,
  landingPage,
  publicAssistant,
];
