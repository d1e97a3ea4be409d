import DOMPurify from 'dompurify';
import { highlightCode } from './highlight';
import { markdownToHtml } from './markdown-render';

/**
 * DOMPurify checks every attribute value against this (not only URLs): values with a scheme pass only
 * for http(s) and mailto, values without one (`button`, `0`, `noopener`) pass. Its default also admits
 * tel:, sms: and others that a transcript has no use for.
 */
const SANITIZER_URI = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

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
 * HTML from the markdown renderer, sanitized by DOMPurify with an allow-list of the tags the renderer
 * makes: two independent layers, so a renderer bug alone cannot put live markup on the page.
 */
export function sanitizeMarkdownHtml(html: string): string {
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'class', 'type', 'align', 'start', 'tabindex', 'data-copy-code'],
    ALLOWED_URI_REGEXP: SANITIZER_URI,
    ALLOW_DATA_ATTR: false,
  });
}

/**
 * Up to this length a message is rendered at once, in the page: marked's worst case on hostile input
 * stays within a few tens of milliseconds there. Longer messages go to the worker.
 */
export const INLINE_MARKDOWN_CHARS = 2_000;
/** A message the worker has not rendered by then is shown as plain text and the worker replaced. */
export const WORKER_TIMEOUT_MS = 1_500;

/** Sanitized HTML of a short message, or `undefined` when marked gives up on it (deep nesting). */
export function renderMarkdown(text: string): string | undefined {
  try {
    return sanitizeMarkdownHtml(markdownToHtml(text));
  } catch {
    return undefined;
  }
}

/** What {@link MarkdownQueue} needs of a Worker (tests pass a fake one). */
export interface WorkerLike {
  onmessage: ((event: { data: { ready?: true; id?: number; html?: string; error?: string } }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  postMessage(message: { id: number; text: string }): void;
  terminate(): void;
}

interface Job {
  id: number;
  text: string;
  resolve(html: string | undefined): void;
}

/**
 * Renders markdown in a worker, one message at a time, so one that hangs is known: after `timeoutMs`
 * it resolves `undefined`, the worker is terminated and a fresh one takes the rest of the queue. The
 * clock starts once the worker says it is ready (loading it on a busy machine is not the message's
 * fault). A worker that cannot load at all leaves every message as plain text. Resolves unsanitized HTML.
 */
export class MarkdownQueue {
  #worker: WorkerLike | undefined;
  #ready = false;
  #queue: Job[] = [];
  #current: { job: Job; timer: ReturnType<typeof setTimeout> } | undefined;
  #nextId = 0;
  readonly #createWorker: () => WorkerLike;
  readonly #timeoutMs: number;

  constructor(createWorker: () => WorkerLike, timeoutMs = WORKER_TIMEOUT_MS) {
    this.#createWorker = createWorker;
    this.#timeoutMs = timeoutMs;
  }

  render(text: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.#queue.push({ id: ++this.#nextId, text, resolve });
      this.#next();
    });
  }

  #next(): void {
    if (this.#current || this.#queue.length === 0) return;
    const worker = this.#ensureWorker();
    if (!this.#ready) return;
    const job = this.#queue.shift();
    if (!job) return;
    const timer = setTimeout(() => {
      worker.terminate();
      if (this.#worker === worker) this.#worker = undefined;
      this.#finish(job, undefined);
    }, this.#timeoutMs);
    this.#current = { job, timer };
    worker.postMessage({ id: job.id, text: job.text });
  }

  #ensureWorker(): WorkerLike {
    if (this.#worker) return this.#worker;
    const worker = this.#createWorker();
    this.#ready = false;
    worker.onmessage = ({ data }) => {
      if (data.ready) {
        this.#ready = true;
        this.#next();
        return;
      }
      const current = this.#current;
      if (!current || current.job.id !== data.id) return;
      clearTimeout(current.timer);
      this.#finish(current.job, data.html);
    };
    worker.onerror = () => {
      worker.terminate();
      if (this.#current) clearTimeout(this.#current.timer);
      const jobs = [...(this.#current ? [this.#current.job] : []), ...this.#queue];
      this.#current = undefined;
      this.#queue = [];
      this.#worker = undefined;
      for (const job of jobs) job.resolve(undefined);
    };
    this.#worker = worker;
    return worker;
  }

  #finish(job: Job, html: string | undefined): void {
    this.#current = undefined;
    job.resolve(html);
    this.#next();
  }
}

const CACHE_SIZE = 400;
const cache = new Map<string, Promise<string | undefined>>();
let queue: MarkdownQueue | undefined;

/**
 * Sanitized HTML of a message of any length, rendered off the main thread (results cached by text);
 * `undefined` when it could not be rendered in time.
 */
export function renderMarkdownAsync(text: string): Promise<string | undefined> {
  const cached = cache.get(text);
  if (cached) return cached;
  queue ??= new MarkdownQueue(
    () =>
      new Worker(new URL('./markdown.worker.ts', import.meta.url), {
        type: 'module',
      }) as unknown as WorkerLike,
  );
  const result = queue
    .render(text)
    .then((html) => (html === undefined ? undefined : sanitizeMarkdownHtml(html)));
  cache.set(text, result);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return result;
}

/** Highlighted code (a tool call's input) through the same sanitizer as markdown. */
export function renderCode(code: string, language?: string): string {
  return DOMPurify.sanitize(highlightCode(code, language).html, {
    ALLOWED_TAGS: ['span'],
    ALLOWED_ATTR: ['class'],
  });
}
