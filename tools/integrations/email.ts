/**
 * One email interface: SMTP through nodemailer when SMTP_URL is set, SendGrid's HTTP API
 * when SENDGRID_API_KEY is set, otherwise the outbox table (the Board shows it). Every
 * message carries its idempotency key (as a header / custom arg), and the caller records it
 * in `email_outbox` first, so a retry never sends twice.
 * @module
 */
import nodemailer from 'nodemailer';
import type { Config } from '../../runtime/config.ts';
import { AppError } from '../../runtime/errors.ts';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  idempotencyKey: string;
  /** The signed one-click unsubscribe URL (HTTPS in production; RFC 8058). */
  unsubscribeUrl?: string;
}

/**
 * The bulk-sender headers (RFC 2369 + RFC 8058, required by Gmail's and Yahoo's sender rules):
 * `List-Unsubscribe: <https URL>[, <mailto:...>]` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
 * The URL answers a POST with that body by unsubscribing at once, without any key (api/routes/public.ts).
 */
export function listUnsubscribeHeaders(unsubscribeUrl: string | undefined, mailto: string | undefined): Record<string, string> {
  if (!unsubscribeUrl) return {};
  const targets = [`<${unsubscribeUrl}>`, ...(mailto ? [`<mailto:${mailto}?subject=unsubscribe>`] : [])];
  return { 'List-Unsubscribe': targets.join(', '), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

export interface EmailTransport {
  readonly provider: 'outbox' | 'smtp' | 'sendgrid';
  /** Delivers the message (the outbox transport delivers nothing: the row is the message). */
  send(message: EmailMessage): Promise<{ providerId: string | null; status: 'queued' | 'sent' }>;
}

export function createEmailTransport(config: Config, fetchImpl: typeof fetch = fetch): EmailTransport {
  const from = config.EMAIL_FROM;
  const listHeaders = (m: EmailMessage) => listUnsubscribeHeaders(m.unsubscribeUrl, config.EMAIL_UNSUBSCRIBE_MAILTO);
  if (config.SMTP_URL) {
    const transporter = nodemailer.createTransport(config.SMTP_URL);
    return {
      provider: 'smtp',
      async send(m) {
        const info = await transporter.sendMail({
          from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          headers: { 'X-Idempotency-Key': m.idempotencyKey, ...listHeaders(m) },
        });
        return { providerId: info.messageId ?? null, status: 'sent' };
      },
    };
  }
  if (config.SENDGRID_API_KEY) {
    const key = config.SENDGRID_API_KEY;
    return {
      provider: 'sendgrid',
      async send(m) {
        // 'Name <addr>' → SendGrid's {email, name}; a bare address has no name.
        const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
        const res = await fetchImpl('https://api.sendgrid.com/v3/mail/send', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            personalizations: [{ to: [{ email: m.to }] }],
            from: match ? { email: match[2], ...(match[1] ? { name: match[1] } : {}) } : { email: from.trim() },
            subject: m.subject,
            content: [{ type: 'text/plain', value: m.text }],
            custom_args: { idempotency_key: m.idempotencyKey },
            ...(m.unsubscribeUrl ? { headers: listHeaders(m) } : {}),
          }),
        });
        if (!res.ok)
          throw new AppError('EMAIL_PROVIDER_FAILED', `SendGrid answered ${res.status}: ${(await res.text()).slice(0, 200)}`, {
            status: 502,
            retryable: res.status >= 500 || res.status === 429,
          });
        return { providerId: res.headers.get('x-message-id'), status: 'sent' };
      },
    };
  }
  return { provider: 'outbox', send: () => Promise.resolve({ providerId: null, status: 'queued' }) };
}
