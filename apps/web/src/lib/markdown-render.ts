import { Marked, type Tokens } from 'marked';
import { escapeHtml, highlightCode } from './highlight';

/** Link targets a transcript may carry; everything else (javascript:, data:, vbscript:…) is shown as text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

function blockedTarget(href: string): string {
  const shown = href.length > 120 ? `${href.slice(0, 120)}…` : href;
  return `<code class="blocked-link" title="Not a link: only http(s) and mailto targets are followed">${escapeHtml(shown)}</code>`;
}

function safeHref(href: string): string | undefined {
  const trimmed = href.trim();
  return SAFE_URL.test(trimmed) ? trimmed : undefined;
}

/**
 * Markdown to HTML for transcripts. Raw HTML in a message is shown as text (never parsed), images
 * become plain links (the policy forbids loading them anyway), only http(s)/mailto links survive, and
 * headings start at level 3 so a message cannot outrank the page's own.
 */
const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    heading({ tokens, depth }: Tokens.Heading) {
      const level = Math.min(6, depth + 2);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
    link({ href, title, tokens }: Tokens.Link) {
      const label = this.parser.parseInline(tokens);
      const url = safeHref(href);
      // The target is shown, as text, so a reader sees what the agent linked to.
      if (!url) return `${label} ${blockedTarget(href)}`;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(url)}"${titleAttr} rel="noopener noreferrer nofollow" target="_blank">${label}</a>`;
    },
    image({ href, text }: Tokens.Image) {
      const url = safeHref(href);
      const label = `[image: ${escapeHtml(text || href)}]`;
      return url
        ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer nofollow" target="_blank">${label}</a>`
        : label;
    },
    checkbox({ checked }: Tokens.Checkbox) {
      return checked ? '☑ ' : '☐ ';
    },
    code({ text, lang }: Tokens.Code) {
      const language = lang?.match(/^\S*/)?.[0] || undefined;
      const { html, language: shown } = highlightCode(text, language);
      const label = shown ? `<span class="code-lang">${escapeHtml(shown)}</span>` : '';
      return `<div class="code-block">${label}<button type="button" class="copy-code" data-copy-code="">Copy</button><pre tabindex="0"><code class="hljs">${html}</code></pre></div>\n`;
    },
  },
});

/** Markdown to an HTML string, not yet sanitized (`markdown.ts` does that, in the page). */
export function markdownToHtml(text: string): string {
  return marked.parse(text) as string;
}
