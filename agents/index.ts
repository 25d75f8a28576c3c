/** The built-in agents. Plugins add theirs through the registry loader. */
import type { AnyAgent } from '../runtime/public.ts';
import estimator from './estimator/index.ts';
import probe from './probe/index.ts';

export const builtInAgents: readonly AnyAgent[] = [probe, estimator];
