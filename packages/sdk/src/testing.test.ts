import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent } from './contract.js';
import { defineTool } from './tool.js';
import { runAgent } from './testing.js';

const lookup = defineTool({
  name: 'zip_lookup',
  description: 'City of a ZIP code.',
  input: z.object({ zip: z.string() }),
  output: z.object({ city: z.string() }),
  scope: 'read',
  handler: async () => ({ city: 'unused in tests' }),
});

const agent = defineAgent({
  name: 'city-note',
  description: 'Test agent.',
  version: '1.0.0',
  input: z.object({ zip: z.string() }),
  output: z.object({ city: z.string(), note: z.string(), approved: z.boolean() }),
  tools: [lookup],
  async run(ctx) {
    const { city } = await ctx.tools.zip_lookup({ zip: ctx.input.zip });
    const note = await ctx.step('outer', async () => (await ctx.step('inner', () => `in ${city}`)).toUpperCase());
    const ok = await ctx.approval({ action: 'note.send', summary: note });
    return { city, note, approved: ok.approved };
  },
});

describe('runAgent', () => {
  it('runs the agent with fake tools, keys steps as BrainOps does, and approves by default', async () => {
    const run = await runAgent(agent, { zip: '78701' }, { tools: { zip_lookup: () => ({ city: 'Austin' }) } });
    expect(run.output).toEqual({ city: 'Austin', note: 'IN AUSTIN', approved: true });
    expect(run.steps.map((s) => s.key)).toEqual(['tool:zip_lookup', 'outer/inner', 'outer']);
    expect(run.toolCalls).toEqual([{ tool: 'zip_lookup', input: { zip: '78701' }, key: 'tool:zip_lookup' }]);
  });

  it('fails like BrainOps would: a missing fake, a rejected approval', async () => {
    await expect(runAgent(agent, { zip: '1' })).rejects.toMatchObject({ code: 'TOOL_UNAVAILABLE' });
    await expect(
      runAgent(agent, { zip: '1' }, { tools: { zip_lookup: () => ({ city: 'X' }) }, approve: () => 'reject' }),
    ).rejects.toMatchObject({
      code: 'APPROVAL_REJECTED',
    });
  });
});
