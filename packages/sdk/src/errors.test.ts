import { describe, expect, it } from 'vitest';
import { AppError, TransientError, permanent } from './errors.js';
// The built copy: a second instance of the module, as a plugin's own installed SDK would be.
import * as other from '../dist/errors.js';

describe('the AppError family across copies of the SDK', () => {
  it('recognises an AppError from another copy of the package as an AppError', () => {
    const theirs = other.permanent('CARD_DECLINED', 'The card was declined.');
    expect(other.AppError).not.toBe(AppError);
    expect(theirs instanceof AppError).toBe(true);
    expect(theirs.retryable).toBe(false);
    expect(new other.TransientError('UPSTREAM', 'try later') instanceof AppError).toBe(true);
  });

  it('keeps subclasses to their own prototype chain', () => {
    expect(permanent('X', 'x') instanceof TransientError).toBe(false);
    expect(new TransientError('X', 'x') instanceof TransientError).toBe(true);
    expect(new Error('plain') instanceof AppError).toBe(false);
  });
});
