import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isVisible, label, readableText } from './text.ts';

describe('label', () => {
  it('refuses names that would show nothing, and keeps the ones that show', () => {
    for (const invisible of [
      '\u200B',
      '\u200B\u200D',
      '\uFEFF',
      '\u3164',
      ' \u00AD ',
      '\u2060\u2060',
      '\u00A0\u3000',
      '\u2800', // Braille pattern blank
      '\uFFA0', // halfwidth Hangul filler
      '\u0301', // a combining accent with nothing under it
      '\u200E\u200F', // direction marks
    ])
      expect(label(100).safeParse(invisible).success, JSON.stringify(invisible)).toBe(false);
    for (const shown of ['Ana', 'Zoë', 'Zoe\u0308', '東京 Roofing', '😀', '❤️', '👩‍🔧', '#1', '\uE000'])
      expect(label(100).parse(shown), JSON.stringify(shown)).toBe(shown.trim());
    expect(label(100).safeParse('\u200B').error?.issues[0]?.message).toMatch(/visible character/);
    expect(isVisible(' x ')).toBe(true);
  });

  it('trims spaces and zero-width characters from the ends, and refuses control characters', () => {
    expect(label(100).parse('  Api Spaced \u200B')).toBe('Api Spaced');
    expect(label(100).parse('\uFEFFZoë \u200B\u2060')).toBe('Zoë');
    expect(label(100).parse('\u200DA')).toBe('A');
    for (const bad of ['Bob\u001b[31m', 'a\u0000b', 'tab\there'])
      expect(label(100).safeParse(bad).error?.issues[0]?.message, JSON.stringify(bad)).toMatch(/control characters/);
    for (const bad of ['two\nlines', 'a\u2028b', 'a\r\nBcc: x'])
      expect(label(100).safeParse(bad).error?.issues[0]?.message, JSON.stringify(bad)).toMatch(/one line/);
  });

  it('shows in JSON Schema as a string with its bounds', () => {
    expect(z.toJSONSchema(label(80), { io: 'input' })).toMatchObject({ type: 'string', minLength: 1, maxLength: 80 });
  });
});

describe('readableText', () => {
  it('keeps line breaks and tabs, refuses other control characters and text that shows nothing', () => {
    expect(readableText(100).parse(' Hello,\n\n\tthe crew comes Monday. ')).toBe('Hello,\n\n\tthe crew comes Monday.');
    for (const bad of ['\u200B\u200B', '\u2800', '\n\u200B\n'])
      expect(readableText(100).safeParse(bad).error?.issues[0]?.message, JSON.stringify(bad)).toMatch(/visible character/);
    expect(readableText(100).safeParse('red \u001b[31malert').error?.issues[0]?.message).toMatch(/control characters/);
  });
});
