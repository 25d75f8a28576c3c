// An external BrainOps agent plugin, as its own npm package, built against the SDK
// (@brainops/sdk) only. Build it (`npm run build`), install it next to BrainOps
// (`npm install brainops-agent-hello`) and name it in the environment:
//   BRAINOPS_PLUGINS=brainops-agent-hello npx brainops start
// It then appears in GET /api/v1/agents, /openapi.json and the Board, with no change to BrainOps.
import { z } from 'zod';
import { defineAgent } from '@brainops/sdk';

export default defineAgent({
  name: 'hello',
  description: 'Greets a customer by name (an example plugin).',
  version: '0.2.0',
  input: z.object({
    name: z.string().trim().min(1).max(100).describe('Who to greet'),
    tone: z.enum(['warm', 'formal']).default('warm'),
  }),
  output: z.object({ greeting: z.string(), model: z.string(), greetedBefore: z.boolean() }),
  async run(ctx) {
    const { name, tone } = ctx.input;
    // Memory is optional: a worker without it still greets.
    const before = await ctx.memory.recall(`greeted ${name}`, { k: 3, kinds: ['greeting'] }).catch(() => []);
    const greetedBefore = before.some((m) => m.content === `greeted ${name}`);
    const text = await ctx.llm.generate('greeting', {
      system: `Write a one-sentence ${tone} greeting for a roofing company's customer.`,
      prompt: `Customer: ${name}${greetedBefore ? ' (greeted before: say welcome back)' : ''}`,
      fallback: () => `${tone === 'formal' ? 'Good day' : 'Hi'} ${name}${greetedBefore ? ', welcome back' : ''}!`,
    });
    await ctx.memory.remember(`greeted ${name}`, { kind: 'greeting' }).catch(() => undefined);
    return { greeting: text.text, model: text.model, greetedBefore };
  },
});
