import { describe, expect, it } from 'vitest';
import { cosine, HashingEmbedder, hasWords, isUsableVector, queryTerms } from './embedders.ts';
import { memoriesForPrompt } from './context.ts';
import { negations } from './items.ts';

describe('HashingEmbedder', () => {
  const e = new HashingEmbedder({ dim: 256 });

  it('is deterministic and L2-normalised', () => {
    const a = e.embed('Acme accepted $4.20 per sq ft for architectural shingles');
    const b = new HashingEmbedder({ dim: 256 }).embed('Acme accepted $4.20 per sq ft for architectural shingles');
    expect(a).toEqual(b);
    expect(a).toHaveLength(256);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
  });

  it('ranks related texts above unrelated ones, across word forms', () => {
    const q = e.embed('what price did the customer accept for metal roofing');
    const related = e.embed('Customer accepted the metal roof price of $9 per square foot');
    const unrelated = e.embed('Quarterly ad campaign for gutters performed well on weekends');
    expect(cosine(q, related)).toBeGreaterThan(cosine(q, unrelated) + 0.2);
  });

  it('ignores case and punctuation but not content', () => {
    expect(cosine(e.embed('Metal roof, BLUE.'), e.embed('metal roof blue'))).toBeCloseTo(1, 10);
    expect(cosine(e.embed('metal roof blue'), e.embed('metal roof red'))).toBeLessThan(0.97);
  });

  it('embeds stopword-only and empty text without NaN', () => {
    expect(e.embed('the of and').every(Number.isFinite)).toBe(true);
    expect(e.embed('').every((x) => x === 0)).toBe(true);
  });

  it('rejects a silly dimension', () => {
    expect(() => new HashingEmbedder({ dim: 2 })).toThrow(/dimension/);
  });
});

describe('memoriesForPrompt', () => {
  const hit = (content: string) => ({ id: content, content, score: 1, agent: null, metadata: {}, createdAt: '' });

  it('keeps the most relevant memories within the token budget', () => {
    const text = memoriesForPrompt([hit('a'.repeat(30)), hit('b'.repeat(30)), hit('c'.repeat(30))], 17);
    expect(text).toContain('a'.repeat(30));
    expect(text).toContain('b'.repeat(30));
    expect(text).not.toContain('c');
    expect(memoriesForPrompt([hit('x'.repeat(100))], 5)).toBe('');
  });
});

describe('what there is to embed', () => {
  it('finds words in any script and none in punctuation, symbols or emoji', () => {
    for (const t of ['roof', 'Dach 12', 'крыша', '屋根', '4,200']) expect(hasWords(t)).toBe(true);
    for (const t of ['', '?!… — ***', '🎉🎉🚀 👍🏽', '\u200b…\u200b', '$ % &']) expect(hasWords(t)).toBe(false);
    expect(isUsableVector(new HashingEmbedder({ dim: 16 }).embed('🎉'))).toBe(false);
    expect(isUsableVector([0, Number.NaN])).toBe(false);
    expect(isUsableVector([0, 0.5])).toBe(true);
  });

  it('keeps ids and amounts whole in query terms, without stop words or punctuation', () => {
    expect(queryTerms('Has INV-10423 been paid? What about the $4,200 quote… for Whitfield!')).toEqual([
      'inv-10423',
      'paid?',
      'about',
      '$4,200',
      'quote...', // NFKC
      'whitfield!',
    ]);
    expect(queryTerms('the and of ?!')).toEqual([]);
    // Invisible characters inside a pasted word: a soft hyphen, a zero-width space, a byte-order mark.
    expect(queryTerms('Roof\u00ADing for Kes\u200Btrel \uFEFFLane')).toEqual(['roofing', 'kestrel', 'lane']);
    expect(queryTerms('a b c d e f g h', 3)).toEqual(['b', 'c', 'd']);
    // A long query keeps its words, up to 256 distinct ones.
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    expect(queryTerms(long)).toHaveLength(256);
    expect(queryTerms(`${'w1 '.repeat(40)}quillfeather`)).toEqual(['w1', 'quillfeather']);
  });
});

describe('negations', () => {
  it('counts the words that turn a statement into its opposite', () => {
    expect(negations('The Okonkwo family has paid the deposit')).toBe(0);
    expect(negations('The Okonkwo family has not paid the deposit')).toBe(1);
    expect(negations('Crew must NOT use the ladder')).toBe(1);
    expect(negations('The Hales can’t take calls; never before noon')).toBe(2);
    expect(negations('Do not schedule without a permit')).toBe(2);
    expect(negations('Notes on the north side')).toBe(0);
  });
});
