#!/usr/bin/env node
// The one entry point of every BrainOps process (API, worker, CLI). TypeScript sources run
// through tsx's loader, so there is no build step to forget and no compiled copy to drift.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
