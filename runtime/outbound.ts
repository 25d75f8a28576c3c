/**
 * Outbound requests to URLs a tenant supplied (crm-sync's `http` source, and any future
 * import or webhook target), guarded against server-side request forgery:
 *
 * - only `http:` / `https:`, and no user name or password in the URL (`https://bob:pw@crm/`):
 *   it would be stored and shown with the URL, and fetch cannot send it anyway — the
 *   credential goes in its own write-only setting (`crmCredential`) and travels as a header;
 *   {@link outboundUrl} is the schema that refuses both where a URL is given (400);
 * - every host is resolved and refused when any of its addresses is not public unicast
 *   (loopback, private, link-local — which holds the cloud metadata address 169.254.169.254 —,
 *   carrier-grade NAT, unique-local IPv6, IPv4-mapped/embedded forms, multicast, reserved...),
 *   as classified by `ipaddr.js`, not a hand-written list;
 * - the check runs again inside the connection's own DNS lookup, so a name that re-resolves
 *   to another address between the check and the connect (DNS rebinding) is refused too;
 * - redirects are followed by hand (at most `maxRedirects`), each hop checked the same way;
 *   credential headers are not carried past a redirect that leaves the first URL's origin;
 * - a host the tenant allow-listed (exact, case-insensitive host name or IP literal) skips
 *   the address check: the tenant's own on-premises CRM, say;
 * - errors never carry the upstream body or the low-level socket error: only the URL's
 *   host, the refusal reason or the HTTP status.
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch, type Response } from 'undici';
import { z } from 'zod';
import { AppError } from './errors.ts';

const CREDENTIALS_IN_URL =
  'must not hold a user name or password (user:password@host): give the credential as crmCredential in the settings, which is sent as a header and never shown';

/** A tenant-supplied URL to fetch, as an input schema: http(s), without credentials in it. */
export const outboundUrl = z.url({ protocol: /^https?$/ }).refine((v) => {
  // zod runs this after a failed url check too: what does not parse is that check's to report.
  if (!URL.canParse(v)) return true;
  const u = new URL(v);
  return !u.username && !u.password;
}, CREDENTIALS_IN_URL);

export interface OutboundOptions {
  /** Host names (or IP literals) the tenant allow-listed; compared exactly, case-insensitively. */
  allowHosts?: readonly string[];
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /**
   * Extra header names that carry a credential (e.g. `x-api-key`): like `authorization`,
   * `proxy-authorization` and `cookie`, they are dropped once a redirect leaves the first URL's origin.
   */
  credentialHeaders?: readonly string[];
  /** Redirects followed at most (each hop checked). Default 5. */
  maxRedirects?: number;
}

/** Why an address is refused (`ipaddr.js` range name), or undefined when it is public unicast. */
export function refusedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 it carries.
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

const refused = (host: string, why: string) =>
  new AppError(
    'OUTBOUND_REFUSED',
    `Requests to '${host}' are refused: it points at a ${why} address. A tenant admin can allow-list the host (PATCH /api/v1/tenant {"outboundAllowHosts": [...]}).`,
    {
      status: 422,
      details: { host, range: why },
    },
  );

/** The URL's host without IPv6 brackets, lower-cased. */
const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** A tenant's allow-listed hosts as compared with a URL's host: trimmed, lower-cased, without IPv6 brackets. */
const allowSet = (hosts: readonly string[]): ReadonlySet<string> =>
  new Set(
    hosts.map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    ),
  );

/** Refuses a URL by scheme or, for an IP literal, by address (names are checked at lookup). */
function checkUrl(u: URL, allow: ReadonlySet<string>): void {
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new AppError('OUTBOUND_REFUSED', `Only http and https URLs may be fetched (got '${u.protocol}').`, { status: 422 });
  if (u.username || u.password) throw new AppError('OUTBOUND_REFUSED', `A URL to fetch ${CREDENTIALS_IN_URL}.`, { status: 422 });
  const host = hostOf(u);
  if (allow.has(host)) return;
  if (isIP(host)) {
    const why = refusedRange(host);
    if (why) throw refused(host, why);
  }
}

/** A DNS lookup for the connection that fails when any resolved address is refused. */
function guardedLookup(allow: ReadonlySet<string>): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const list = addresses;
      if (!allow.has(hostname.toLowerCase())) {
        const bad = list.map((a) => refusedRange(a.address)).find((r) => r !== undefined);
        if (bad)
          return callback(Object.assign(refused(hostname, bad), { code: 'OUTBOUND_REFUSED' }) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Checks a tenant-supplied URL when it is stored, so that a setting the fetch would refuse is
 * refused at once with the same OUTBOUND_REFUSED (422): a scheme other than http(s), or a host
 * that is — or, looked up now, resolves to — a loopback, private, link-local or other non-public
 * address, unless allow-listed. A name that does not resolve now is accepted (DNS may not be
 * ready yet); every fetch checks again, on every redirect.
 */
export async function checkOutboundUrl(url: string, allowHosts: readonly string[] = []): Promise<void> {
  const allow = allowSet(allowHosts);
  const u = new URL(url);
  checkUrl(u, allow);
  const host = hostOf(u);
  if (allow.has(host) || isIP(host)) return;
  const addresses = await new Promise<LookupAddress[]>((resolve) =>
    dnsLookup(host, { all: true }, (err, list) => resolve(err ? [] : list)),
  );
  const bad = addresses.map((a) => refusedRange(a.address)).find((r) => r !== undefined);
  if (bad) throw refused(host, bad);
}

/**
 * GET (or `init`'s method) a tenant-supplied URL through the guard. Resolves with the final
 * response (after redirects); rejects with OUTBOUND_REFUSED (422) for a refused scheme or
 * address, OUTBOUND_REDIRECTS (422) past `maxRedirects`, OUTBOUND_UNREACHABLE (503,
 * retryable) when the host cannot be reached — never with the upstream body.
 */
export async function guardedFetch(url: string, options: OutboundOptions = {}): Promise<Response> {
  const allow = allowSet(options.allowHosts ?? []);
  const agent = new Agent({ connect: { lookup: guardedLookup(allow) } });
  let current = new URL(url);
  const origin = current.origin;
  const secret = new Set([
    'authorization',
    'proxy-authorization',
    'cookie',
    ...(options.credentialHeaders ?? []).map((h) => h.toLowerCase()),
  ]);
  const crossOriginHeaders = options.headers
    ? Object.fromEntries(Object.entries(options.headers).filter(([k]) => !secret.has(k.toLowerCase())))
    : undefined;
  try {
    for (let hop = 0; ; hop++) {
      checkUrl(current, allow);
      let res: Response;
      try {
        res = await undiciFetch(current, {
          redirect: 'manual',
          dispatcher: agent,
          ...(options.headers ? { headers: current.origin === origin ? options.headers : crossOriginHeaders } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        const cause = (e as { cause?: unknown }).cause;
        if (cause instanceof AppError) throw cause;
        if (options.signal?.aborted) throw e;
        throw new AppError('OUTBOUND_UNREACHABLE', `'${hostOf(current)}' could not be reached.`, { status: 503, retryable: true });
      }
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (!location) {
        // The agent must outlive the body: close it once the caller has read (or dropped) it.
        return res;
      }
      await res.body?.cancel();
      if (hop >= (options.maxRedirects ?? 5))
        throw new AppError('OUTBOUND_REDIRECTS', `'${hostOf(current)}' redirected more than ${options.maxRedirects ?? 5} times.`, {
          status: 422,
        });
      current = new URL(location, current);
    }
  } finally {
    // Open sockets finish their response; the agent takes no new requests.
    void agent.close();
  }
}
