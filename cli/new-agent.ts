/**
 * `brainops new-agent <name> [--dir <folder>]`: scaffolds an agent *plugin package* against
 * the SDK (`@brainops/sdk`) — `<folder>/<name>/` with package.json (the SDK and zod as peer
 * dependencies), tsconfig.json (tsc builds dist/ with .d.ts), src/core.ts (a pure, tested
 * function), src/index.ts (defineAgent with zod input/output, a journaled step, a language
 * step with its offline fallback) and src/agent.test.ts, which passes as generated with the
 * SDK's test helpers (`runAgent` from `@brainops/sdk/testing`). BrainOps loads the built
 * package through BRAINOPS_PLUGINS with no other change.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { parseArgs as ParseArgs } from 'node:util';
import { CONTRACT_VERSION } from '../runtime/contracts.ts';
import type { Config } from '../runtime/config.ts';
import { AppError } from '../runtime/errors.ts';

/** This BrainOps' copy of `@brainops/sdk` (packages/sdk), which a scaffolded plugin develops against. */
const SDK_DIR = fileURLToPath(new URL('../packages/sdk', import.meta.url));

const NAME = /^[a-z][a-z0-9-]{1,48}$/;

/**
 * The built-in agents' names: each lives in `agents/<name>/` (cli/new-agent.test.ts holds the
 * folders to the registry). Read from the folder names so that the command need not load them.
 */
export function builtInAgentNames(): string[] {
  return readdirSync(new URL('../agents/', import.meta.url), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Writes the package; refuses a bad name or an existing folder. Returns the paths written. */
export async function scaffoldAgent(name: string, parentDir: string): Promise<string[]> {
  if (!NAME.test(name))
    throw new AppError(
      'BAD_NAME',
      `'${name}' is not an agent name: use lowercase letters, digits and dashes (2-49 chars, starting with a letter).`,
      { status: 400 },
    );
  if (builtInAgentNames().includes(name))
    throw new AppError(
      'NAME_TAKEN',
      `'${name}' is a built-in agent's name, and a plugin may not reuse it (it would be refused at load); pick another, e.g. '${name}-custom'.`,
      { status: 409 },
    );
  const dir = join(parentDir, name);
  if (await stat(dir).catch(() => undefined))
    throw new AppError('EXISTS', `${dir} already exists; pick another name or delete it.`, { status: 409 });
  const fn = camel(name);
  const sdk = `^${CONTRACT_VERSION.split('.')[0]}.${CONTRACT_VERSION.split('.')[1]}.0`;
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(
      {
        name: `brainops-agent-${name}`,
        version: '0.1.0',
        description: `The ${name} agent for BrainOps.`,
        type: 'module',
        main: './dist/index.js',
        types: './dist/index.d.ts',
        exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
        files: ['dist'],
        scripts: { build: 'tsc -p tsconfig.json', test: 'vitest run', prepack: 'tsc -p tsconfig.json' },
        peerDependencies: { '@brainops/sdk': sdk, zod: '^4' },
        // The SDK is not on the npm registry yet: develop against this BrainOps' own copy (a
        // `file:` link); the peer range is what a published plugin asks of its host.
        devDependencies: { '@brainops/sdk': `file:${SDK_DIR}`, typescript: '^5.9.0', vitest: '^4.0.0', zod: '^4.0.0' },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          declaration: true,
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
        exclude: ['src/**/*.test.ts'],
      },
      null,
      2,
    )}\n`,
    'src/core.ts': `/**
 * ${name}: the deterministic core. Pure functions with hand-checked tests; the agent in
 * index.ts calls them and adds the language step.
 * @module
 */

export interface ${cap(fn)}Result {
  words: number;
  longest: string;
}

/** Counts the words of a text and finds the longest one. Replace with your agent's numbers. */
export function ${fn}Core(text: string): ${cap(fn)}Result {
  const words = text.split(/\\s+/).filter(Boolean);
  const longest = words.reduce((a, w) => (w.length > a.length ? w : a), '');
  return { words: words.length, longest };
}
`,
    'src/agent.test.ts': `import { describe, expect, it } from 'vitest';
import { runAgent } from '@brainops/sdk/testing';
import ${fn} from './index.js';
import { ${fn}Core } from './core.js';

describe('${name}', () => {
  it('counts words and finds the longest one', () => {
    expect(${fn}Core('the roof needs new flashing')).toEqual({ words: 5, longest: 'flashing' });
    expect(${fn}Core('   ')).toEqual({ words: 0, longest: '' });
  });

  it('runs offline: the numbers from the core, the note from its template, every step journaled', async () => {
    const run = await runAgent(${fn}, { text: 'the roof needs new flashing' });
    expect(run.output).toMatchObject({ words: 5, longest: 'flashing', noteModel: 'offline' });
    expect(run.steps.map((s) => s.key)).toEqual(['count', 'note']);
  });

  it('refuses a bad input', async () => {
    await expect(runAgent(${fn}, { text: '' })).rejects.toThrow();
  });
});
`,
    'src/index.ts': `/**
 * ${name}: describe what this agent does for the business in one sentence.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '@brainops/sdk';
import { ${fn}Core } from './core.js';

export default defineAgent({
  name: '${name}',
  description: 'Describe what ${name} does (shown in /api/v1/agents and the Board).',
  version: '0.1.0',
  input: z.object({ text: z.string().min(1).max(10_000).describe('The text to look at') }),
  output: z.object({ words: z.number().int(), longest: z.string(), note: z.string(), noteModel: z.string() }),
  // tools: [someToolHandle, 'crm_customers_list'],   // business tools: handles give typed ctx.tools
  async run(ctx) {
    // Journaled: a retried task gets this result back instead of computing it again.
    const numbers = await ctx.step('count', () => ${fn}Core(ctx.input.text));
    await ctx.progress(50, 'counted');
    // A language step declares its fallback: finished text built from the facts (noteModel says whether a model wrote it).
    const note = await ctx.llm.generate('note', {
      system: 'You comment on texts in one short sentence.',
      prompt: \`Text: \${ctx.input.text}\\nWords: \${numbers.words}\`,
      fallback: () => \`\${numbers.words} word(s); the longest is "\${numbers.longest}".\`,
    });
    return { ...numbers, note: note.text, noteModel: note.model };
  },
});
`,
  };
  await mkdir(join(dir, 'src'), { recursive: true });
  const written: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    await writeFile(join(dir, file), text, { flag: 'wx' });
    written.push(join(dir, file));
  }
  return written;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The CLI command. */
export async function newAgentCommand(_config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string', default: '.' } } });
  const [name, ...rest] = positionals;
  if (!name || rest.length) throw new AppError('USAGE', 'usage: brainops new-agent <name> [--dir <folder>]', { status: 400 });
  const files = await scaffoldAgent(name, resolve(process.cwd(), values.dir));
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const f of files) out(`created ${relative(process.cwd(), f)}`);
  const pkg = relative(process.cwd(), join(resolve(process.cwd(), values.dir), name)) || '.';
  out(`\nA plugin package against @brainops/sdk. Next:`);
  out(`  cd ${pkg} && npm install && npm test     # its test passes as generated`);
  out(`  npm run build                              # dist/ with .d.ts`);
  out(`  BRAINOPS_PLUGINS=./${pkg} npx brainops start   # (from your BrainOps folder) loads it`);
  return 0;
}
