/**
 * Server-rendered HTML for the public pages: a landing page with its lead-capture form
 * (with a honeypot field people never see), and small status pages.
 * @module
 */

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:17px/1.6 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f7f7f5}
main{max-width:720px;margin:0 auto;padding:2.5rem 1.2rem}h1{font-size:2.1rem;line-height:1.2;margin:0 0 1rem}
form{background:#fff;border:1px solid #ddd;border-radius:10px;padding:1.2rem;margin-top:2rem;display:grid;gap:.7rem}
label{display:grid;gap:.2rem;font-size:.95rem}input,textarea{font:inherit;padding:.55rem;border:1px solid #bbb;border-radius:6px}
button{font:inherit;font-weight:700;padding:.8rem;border:0;border-radius:8px;background:#b3261e;color:#fff;cursor:pointer}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}.note{background:#e7f5ea;padding:.8rem;border-radius:8px}`;

export function page(title: string, inner: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${inner}</main></body></html>`;
}

export interface LandingView {
  slug: string;
  title: string;
  headline: string;
  body: string;
  cta: string;
}

export function renderLanding(p: LandingView, o: { sent: boolean }): string {
  const paragraphs = p.body
    .split(/\n{2,}/)
    .map((x) => `<p>${esc(x.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const form = o.sent
    ? `<p class="note" role="status">Thank you — we received your request and will be in touch shortly.</p>`
    : `<form method="post" action="/landing/${esc(p.slug)}/leads">
  <label>Name <input name="name" required maxlength="300" autocomplete="name"></label>
  <label>Email <input name="email" type="email" maxlength="320" autocomplete="email"></label>
  <label>Phone <input name="phone" type="tel" maxlength="50" autocomplete="tel"></label>
  <label>How can we help? <textarea name="message" rows="3" maxlength="2000"></textarea></label>
  <div class="hp" aria-hidden="true"><label>Website <input name="website" tabindex="-1" autocomplete="off"></label></div>
  <button type="submit">${esc(p.cta)}</button>
</form>`;
  return page(p.title, `<h1>${esc(p.headline)}</h1>\n${paragraphs}\n${form}`);
}
