import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { escapeHtml, highlightCode } from './highlight';

/** Link targets a transcript may carry; everything else (javascript:, data:, vbscript:…) is shown as text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

/**
 * DOMPurify checks every attribute value against this (not only URLs): values with a scheme pass only
 * for http(s) and mailto, values without one (`button`, `0`, `noopener`) pass. Its default also admits
 * tel:, sms: and others that a transcript has no use for.
 */
const SANITIZER_URI = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

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
      if (!url) return label;
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

/** Markdown to an HTML string (not yet sanitized: see {@link renderMarkdown}). */
export function markdownToHtml(text: string): string {
  return marked.parse(text) as string;
}

const ALLOWED_TAGS = [
  'a',
  'p',
  'br',
  'hr',
  'em',
  'strong',
  'del',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
  'div',
  'button',
];

// Links leave the dashboard in a new tab, without a referrer or a handle back to it. Set after
// sanitizing, on whatever anchors survived (DOMPurify drops `target` and `rel` itself). Outside a
// browser (unit tests of the markdown stage) DOMPurify has no DOM and no hooks.
if (DOMPurify.isSupported) {
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  });
}

/**
 * Markdown rendered and then sanitized by DOMPurify with an allow-list of the tags the renderer makes:
 * two independent layers, so a renderer bug alone cannot put live markup on the page.
 */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(markdownToHtml(text), {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'class', 'type', 'align', 'start', 'tabindex', 'data-copy-code'],
    ALLOWED_URI_REGEXP: SANITIZER_URI,
    ALLOW_DATA_ATTR: false,
  });
}

/** Highlighted code (a tool call's input) through the same sanitizer as markdown. */
export function renderCode(code: string, language?: string): string {
  return DOMPurify.sanitize(highlightCode(code, language).html, {
    ALLOWED_TAGS: ['span'],
    ALLOWED_ATTR: ['class'],
  });
}
