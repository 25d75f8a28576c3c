/** landing-page: a preview of the page as published, with its link. */
import type { OutputProps } from './parts.tsx';

export function LandingPageView({ output }: OutputProps) {
  const url = typeof output.url === 'string' ? output.url : undefined;
  return (
    <div className="page-preview">
      {url && (
        <p>
          <a href={url} target="_blank" rel="noreferrer">
            Open the page ({String(output.slug ?? url)})
          </a>
        </p>
      )}
      <article className="preview">
        <h3>{String(output.headline ?? '')}</h3>
        <pre className="email-body">{String(output.body ?? '')}</pre>
        {typeof output.cta === 'string' && <span className="cta">{output.cta}</span>}
      </article>
    </div>
  );
}
