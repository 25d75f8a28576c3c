import { describe, expect, it } from 'vitest';
import { isVisible, label } from './text.ts';

describe('label', () => {
  it('refuses names that would show nothing, and keeps the ones that show', () => {
    for (const invisible of ['\u200B', '\u200B\u200D', '\uFEFF', '\u3164', ' \u00AD ', '\u2060\u2060', '\u00A0\u3000'])
      expect(label(100).safeParse(invisible).success, JSON.stringify(invisible)).toBe(false);
    for (const shown of ['Ana', 'Zoë', '東京 Roofing', '😀', '\u200DA', '#1'])
      expect(label(100).parse(shown), JSON.stringify(shown)).toBe(shown.trim());
    expect(label(100).safeParse('\u200B').error?.issues[0]?.message).toMatch(/visible character/);
    expect(isVisible(' x ')).toBe(true);
  });
});
