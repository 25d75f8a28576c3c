/** Prompt helpers shared by language steps. */
import type { MemoryHit } from './contracts.ts';

/** Memories as a prompt section, best first, cut to about `maxTokens` (4 characters a token). */
export function memoriesForPrompt(hits: readonly MemoryHit[], maxTokens = 500): string {
  const budget = maxTokens * 4;
  const lines: string[] = [];
  let used = 0;
  for (const h of hits) {
    const line = `- ${h.content.replace(/\s+/g, ' ')}`;
    if (used + line.length > budget) break;
    lines.push(line);
    used += line.length + 1;
  }
  return lines.length ? `Relevant memories:\n${lines.join('\n')}` : '';
}
