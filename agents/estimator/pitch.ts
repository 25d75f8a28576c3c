/**
 * Roof pitch as people write it: rise per run (`6/12`, `6:12`, `6 in 12`, `4/10`) or an angle
 * (`26.6°`, `27 deg`, `30 degrees`). One parser, used by the input schema (its reason becomes
 * the 400's message) and by the estimator.
 * @module
 */

/** The steepest roof priced: 24/12 (63.4°). */
export const MAX_RISE = 24;

export interface Pitch {
  /** Rise per 12 of run, rounded to 0.01. */
  rise: number;
  /** The angle, degrees, rounded to 0.1. */
  degrees: number;
  /** `6/12`, or `5.5/12`. */
  label: string;
}

const NUM = String.raw`(\d+(?:\.\d+)?)`;
const RATIO = new RegExp(String.raw`^${NUM}\s*(?:\/|:|\s+in\s+|\s*-\s*in\s*-\s*)\s*${NUM}$`, 'i');
const ANGLE = new RegExp(String.raw`^${NUM}\s*(?:°|º|deg|degs|degree|degrees)$`, 'i');
const HOW = 'write rise per 12 of run ("6/12", "6:12", "6 in 12") or an angle ("26.6°", "27 degrees")';

const round = (n: number, d: number): number => Math.round(n * 10 ** d) / 10 ** d;

/** The pitch, or a sentence saying why `text` is not one this estimator prices. */
export function parsePitch(text: string): Pitch | { error: string } {
  const s = text.trim();
  if (s.startsWith('-')) return { error: `pitch "${text}" is negative; ${HOW}` };
  let rise: number;
  const ratio = RATIO.exec(s);
  const angle = ANGLE.exec(s);
  if (ratio) {
    const run = Number(ratio[2]);
    if (run === 0) return { error: `pitch "${text}" has a run of 0; ${HOW}` };
    rise = (Number(ratio[1]) * 12) / run;
  } else if (angle) {
    const deg = Number(angle[1]);
    if (deg >= 90) return { error: `pitch "${text}" is ${deg}°: a roof is less steep than 90°` };
    rise = 12 * Math.tan((deg * Math.PI) / 180);
  } else {
    return { error: `pitch "${text}" is not a pitch: ${HOW}` };
  }
  const degrees = round((Math.atan(rise / 12) * 180) / Math.PI, 1);
  rise = round(rise, 2);
  if (rise > MAX_RISE)
    return { error: `pitch "${text}" is ${rise}/12, steeper than 24/12 (63.4°), the steepest roof this estimator prices` };
  return { rise, degrees, label: `${rise}/12` };
}
