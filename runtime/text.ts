/**
 * Text as people must be able to read it back: a name or title is refused when nothing of it
 * would show — only spaces, or only characters that render as nothing (zero-width spaces and
 * joiners, the byte-order mark, soft hyphens, Hangul fillers: Unicode's default-ignorable code
 * points). `' '` and `'\u200B'` are the same empty name to a reader, and to a search.
 * @module
 */
import { z } from 'zod';

const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

/** Whether `s` has at least one character that shows. */
export const isVisible = (s: string): boolean => s.replace(INVISIBLE, '').length > 0;

/** A one-line name or title of at most `max` characters (trimmed) with something visible in it. */
export const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine(isVisible, 'must have a visible character, not only spaces or invisible characters (such as zero-width spaces)');
