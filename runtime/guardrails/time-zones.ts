/**
 * Time zones as a schedule takes them: an IANA zone the runtime knows, stored by its current
 * name however it was typed, and the fixed-offset abbreviations that read like a region's time
 * (EST) refused with the zone usually meant.
 * @module
 */
import { badRequest } from '../errors.ts';
import { checkTimeZone } from './local-time.ts';

/**
 * The zone's current IANA name (`america/chicago` → `America/Chicago`, `US/Eastern` →
 * `America/New_York`, `europe/kyiv` → `Europe/Kyiv`): a zone typed in another case or by
 * another of its names is the same zone, stored and shown one way.
 * @throws AppError INVALID_TIMEZONE (400) for a name that is no IANA time zone.
 */
export function canonicalTimeZone(timezone: string): string {
  assertTimeZone(timezone);
  const fixed = FIXED_OFFSET_ABBREVIATIONS[timezone.toUpperCase()];
  if (fixed)
    throw badRequest(
      'INVALID_TIMEZONE',
      `'${timezone}' is a fixed offset with no daylight-saving time, which is rarely what is meant: a schedule at 02:00 '${timezone}' would run at 03:00 local time all summer. Use the place's zone, e.g. ${fixed}.`,
    );
  // Stored as the zone's current tz name: ICU's canonical one (case fixed, aliases such as
  // US/Eastern resolved), except where ICU keeps a name tz has since replaced (Europe/Kiev).
  const icu = new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
  return RENAMED_ZONES[icu] ?? icu;
}

/**
 * Zones ICU (CLDR) still names by the name tz replaced, with tz's current name (tz's `backward`
 * file: "Link <current> <old>"); ICU resolves the current name to the old one.
 */
const RENAMED_ZONES: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Louisville': 'America/Kentucky/Louisville',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** tz's fixed-offset legacy zones that read like a region's time, with the zone usually meant. */
const FIXED_OFFSET_ABBREVIATIONS: Record<string, string> = {
  EST: 'America/New_York',
  MST: 'America/Denver (or America/Phoenix, which keeps no daylight-saving time)',
  HST: 'Pacific/Honolulu',
};

/** Throws 400 INVALID_TIMEZONE unless `timezone` is an IANA time zone the runtime knows. */
export function assertTimeZone(timezone: string): void {
  try {
    checkTimeZone(timezone);
  } catch {
    throw badRequest('INVALID_TIMEZONE', `'${timezone}' is not an IANA timezone (e.g. America/Chicago, Europe/Berlin, UTC).`);
  }
}
