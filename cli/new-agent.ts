/**
 * `brainops new-agent <name>`: scaffolds a working agent — agents/<name>/core.ts (a pure,
 * tested function), index.ts (defineAgent with zod input/output, a journaled step, a
 * language step with its offline fallback) and core.test.ts — that the plugin loader picks
 * up from agents/* with no other change, and whose test passes as generated.
 * @module
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../runtime/config.ts';
import { AppError } from '../runtime/errors.ts';

const NAME = /^[a-z][a-z0-9-]{1,48}$/;
const REPO = fileURLToPath(new URL('../', import.meta.url));

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Writes the three files; refuses a bad name or an existing folder. Returns the paths written. */
export async function scaffoldAgent(name: string, agentsDir = join(REPO, 'agents')): Promise<string[]> {
  if (!NAME.test(name)) throw new AppError('BAD_NAME', `'${name}' is not an agent name: use lowercase letters, digits and dashes (2-49 chars, starting with a letter).`, { status: 400 });
  const dir = join(agentsDir, name);
  if (await stat(dir).catch(() => undefined)) throw new AppError('EXISTS', `${dir} already exists; pick another name or delete it.`, { status: 409 });
  const pub = relative(dir, join(REPO, 'runtime', 'public.ts')).split(sep).join('/');
  const fn = camel(name);
  const files: Record<string, string> = {
    'core.ts': `/**
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
    'core.test.ts': `import { describe, expect, it } from 'vitest';
import ${fn} from './index.ts';
import { ${fn}Core } from './core.ts';

describe('${name}', () => {
  it('counts words and finds the longest one', () => {
    expect(${fn}Core('the roof needs new flashing')).toEqual({ words: 5, longest: 'flashing' });
    expect(${fn}Core('   ')).toEqual({ words: 0, longest: '' });
  });

  it('declares schemas that accept a good input and refuse a bad one', () => {
    expect(${fn}.name).toBe('${name}');
    expect(${fn}.input.safeParse({ text: 'hello' }).success).toBe(true);
    expect(${fn}.input.safeParse({ text: '' }).success).toBe(false);
  });
});
`,
    'index.ts': `/**
 * ${name}: describe what this agent does for the business in one sentence.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '${pub}';
import { ${fn}Core } from './core.ts';

export default defineAgent({
  name: '${name}',
  description: 'Describe what ${name} does (shown in /api/v1/agents and the Board).',
  version: '0.1.0',
  input: z.object({ text: z.string().min(1).max(10_000).describe('The text to look at') }),
  output: z.object({ words: z.number().int(), longest: z.string(), note: z.string(), noteModel: z.string() }),
  // tools: ['crm_customers_list'],   // business tools this agent may call as ctx.tools.<name>
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
  await mkdir(dir, { recursive: true });
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
export async function newAgentCommand(_config: Config, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || rest.length) throw new AppError('USAGE', 'usage: brainops new-agent <name>', { status: 400 });
  const files = await scaffoldAgent(name, resolve(process.cwd(), 'agents'));
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const f of files) out(`created ${relative(process.cwd(), f)}`);
  out(`\nThe agent is discovered from agents/${name}/ at start. Next:`);
  out(`  npx vitest run agents/${name}            # its test passes as generated`);
  out(`  npx brainops run ${name} --input '{"text": "the roof needs new flashing"}'`);
  return 0;
}
