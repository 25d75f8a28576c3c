/**
 * Text as people must be able to read it back: a name, title, subject or body is refused when
 * nothing of it would show — only spaces, or only characters that render as nothing (zero-width
 * spaces and joiners, the byte-order mark, soft hyphens, Hangul fillers: Unicode's
 * default-ignorable code points; the blank Braille pattern; control characters; combining
 * marks with nothing to combine with). `' '` and `'\u200B'` are the same empty name to a reader,
 * and to a search. Control characters (an escape that recolours a terminal, a NUL) have no place
 * in text a person reads: refused in names, and in bodies but for line breaks and tabs.
 * @module
 */
import { z } from 'zod';

/**
 * What shows nothing on its own. U+2800 (Braille blank) and U+FFA0 (halfwidth Hangul filler)
 * render blank but are not default-ignorable; a combining mark (\p{M}) shows only on a base.
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\u2800\uFFA0]/gu;

/** Zero-width characters and spaces trimmed from the ends of a name (not variation selectors: ❤️ keeps its U+FE0F). */
const EDGES = /^[\p{White_Space}\u200B-\u200D\u2060\uFEFF\u00AD]+|[\p{White_Space}\u200B-\u200D\u2060\uFEFF\u00AD]+$/gu;

/** Control characters other than tab, line feed and carriage return. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

/** A line break of any kind (CR, LF, NEL, the line and paragraph separators). */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/u;

/** Any control character (the line breaks are refused before, with their own message). */
const ANY_CONTROL = /\p{Cc}/u;

const VISIBLE_MESSAGE = 'must have a visible character, not only spaces or invisible characters (such as zero-width spaces)';

/** Whether `s` has at least one character that shows. */
export const isVisible = (s: string): boolean => s.replace(INVISIBLE, '').length > 0;

/** `s` without spaces and zero-width characters at either end. */
export const trimInvisible = (s: string): string => s.replace(EDGES, '');

/**
 * A one-line name or title of at most `max` characters, with spaces and zero-width characters
 * trimmed from its ends, something visible in it, and no control characters.
 */
export const label = (max: number) =>
  z
    .string()
    .overwrite(trimInvisible)
    .min(1, VISIBLE_MESSAGE)
    .max(max)
    .refine((s) => !LINE_BREAK.test(s), 'must be one line: remove the line break')
    .refine((s) => !ANY_CONTROL.test(s), 'must not contain control characters (such as tabs or escape codes)')
    .refine(isVisible, VISIBLE_MESSAGE);

/**
 * Text a person reads (an email body, a page's copy): at most `max` characters, trimmed, with
 * something visible in it; line breaks and tabs allowed, other control characters refused.
 */
export const readableText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters other than line breaks and tabs (such as escape codes)')
    .refine(isVisible, VISIBLE_MESSAGE);

/**
 * Like `readableText`, where leaving it empty is allowed (a form's optional message, a note on a
 * decision): empty or only spaces is `''`; anything else must show something and carry no
 * control characters but line breaks and tabs.
 */
export const readableTextOrEmpty = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters other than line breaks and tabs (such as escape codes)')
    .refine((s) => s === '' || isVisible(s), VISIBLE_MESSAGE);
