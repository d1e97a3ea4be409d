import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

// The languages agents write most; the full highlight.js bundle is ten times larger.
for (const [name, language] of Object.entries({
  bash,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
})) {
  hljs.registerLanguage(name, language);
}

/** Past this size a block is shown plain: highlighting megabytes would stall the page. */
export const MAX_HIGHLIGHT_CHARS = 100_000;
/** Guessing the language of an unlabelled block costs one pass per language: only for short ones. */
const MAX_AUTODETECT_CHARS = 4_000;

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Code as highlighted HTML (highlight.js escapes the text it wraps in spans). Unknown languages and
 * very large blocks come back escaped and unhighlighted.
 */
export function highlightCode(code: string, language?: string): { html: string; language?: string } {
  if (code.length > MAX_HIGHLIGHT_CHARS) return { html: escapeHtml(code) };
  const name = language?.trim().toLowerCase();
  if (name && hljs.getLanguage(name)) {
    return { html: hljs.highlight(code, { language: name, ignoreIllegals: true }).value, language: name };
  }
  if (!name && code.length <= MAX_AUTODETECT_CHARS) {
    const guess = hljs.highlightAuto(code);
    if (guess.language && guess.relevance >= 5) return { html: guess.value, language: guess.language };
  }
  return { html: escapeHtml(code) };
}
