/**
 * Output views by agent name: each built-in agent's output as people read it. An agent not
 * listed here (a plugin) gets the generic key/value view (components/OutputView.tsx).
 */
import type { ComponentType } from 'react';
import type { OutputProps } from './parts.tsx';
import { AdManagerView } from './AdManager.tsx';
import { AureaView } from './Aurea.tsx';
import { BillingView } from './Billing.tsx';
import { CompetitorAnalysisView } from './CompetitorAnalysis.tsx';
import { CrmSyncView } from './CrmSync.tsx';
import { EmailOutreachView } from './EmailOutreach.tsx';
import { EstimatorView } from './Estimator.tsx';
import { LandingPageView } from './LandingPage.tsx';
import { LeadQualifierView } from './LeadQualifier.tsx';
import { RevenueAnalystView } from './RevenueAnalyst.tsx';

export const outputViews: Readonly<Record<string, ComponentType<OutputProps>>> = {
  'ad-manager': AdManagerView,
  aurea: AureaView,
  billing: BillingView,
  'competitor-analysis': CompetitorAnalysisView,
  'crm-sync': CrmSyncView,
  'email-outreach': EmailOutreachView,
  estimator: EstimatorView,
  'landing-page': LandingPageView,
  'lead-qualifier': LeadQualifierView,
  'revenue-analyst': RevenueAnalystView,
};
