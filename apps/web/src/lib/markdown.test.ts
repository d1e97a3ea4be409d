import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { escapeHtml, highlightCode, MAX_HIGHLIGHT_CHARS } from './highlight';
import { MarkdownQueue, renderMarkdown, type WorkerLike } from './markdown';
import { markdownToHtml } from './markdown-render';

describe('markdownToHtml', () => {
  it('renders markdown: emphasis, lists, inline code and tables', () => {
    expect(markdownToHtml('**bold** and `a < b`\n\n- one\n- two')).toBe(
      '<p><strong>bold</strong> and <code>a &lt; b</code></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n',
    );
  });

  it('shows raw HTML as text, block and inline', () => {
    const html = markdownToHtml('<img src=x onerror="alert(1)">\n\nhello <script>alert(2)</script> there');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('keeps http(s) and mailto links, shows other targets (javascript:, data:) as text', () => {
    expect(markdownToHtml('[docs](https://example.com/a?b=1&c=2)')).toBe(
      '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">docs</a></p>\n',
    );
    const blocked = (target: string) =>
      `<code class="blocked-link" title="Not a link: only http(s) and mailto targets are followed">${target}</code>`;
    expect(markdownToHtml('[click](javascript:alert(1))')).toBe(
      `<p>click ${blocked('javascript:alert(1)')}</p>\n`,
    );
    expect(markdownToHtml('[x](  JaVaScRiPt:alert(1))')).toBe(`<p>x ${blocked('JaVaScRiPt:alert(1)')}</p>\n`);
    expect(markdownToHtml('[d](data:text/html,<b>hi</b>)')).not.toContain('href');
  });

  it('turns images into links (never loaded) and headings into level 3 and below', () => {
    expect(markdownToHtml('![chart](https://example.com/c.png)')).toBe(
      '<p><a href="https://example.com/c.png" rel="noopener noreferrer nofollow" target="_blank">[image: chart]</a></p>\n',
    );
    expect(markdownToHtml('# Title\n#### Deep')).toBe('<h3>Title</h3>\n<h6>Deep</h6>\n');
  });

  it('highlights fenced code with a copy button, escaping what it highlights', () => {
    const html = markdownToHtml('```ts\nconst a: string = "<b>";\n```');
    expect(html).toContain('<span class="code-lang">ts</span>');
    expect(html).toContain('data-copy-code');
    expect(html).toContain('<span class="hljs-keyword">const</span>');
    expect(html).toContain('&quot;&lt;b&gt;&quot;');
    expect(html).not.toContain('<b>');
  });
});

describe('highlightCode', () => {
  it('escapes code in an unknown language and code too large to highlight', () => {
    expect(highlightCode('<x>', 'klingon')).toEqual({ html: '&lt;x&gt;' });
    const big = `${'<'.repeat(MAX_HIGHLIGHT_CHARS)}>`;
    expect(highlightCode(big, 'json').html).toBe(escapeHtml(big));
  });
});

describe('MarkdownQueue', () => {
  /** A worker that answers when told to, or never. */
  function fakeWorkers() {
    const workers: { posted: { id: number; text: string }[]; terminated: boolean; worker: WorkerLike }[] = [];
    const create = (): WorkerLike => {
      const entry = {
        posted: [] as { id: number; text: string }[],
        terminated: false,
        worker: undefined as unknown as WorkerLike,
      };
      entry.worker = {
        onmessage: null,
        onerror: null,
        postMessage: (message) => entry.posted.push(message),
        terminate: () => {
          entry.terminated = true;
        },
      };
      workers.push(entry);
      return entry.worker;
    };
    const answer = (index: number, html: string) => {
      const entry = workers[index]!;
      const message = entry.posted.at(-1)!;
      entry.worker.onmessage?.({ data: { id: message.id, html } });
    };
    const ready = (index: number) => workers[index]!.worker.onmessage?.({ data: { ready: true } });
    return { workers, create, answer, ready };
  }

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for the worker to load, then renders one message at a time, in order', async () => {
    const { workers, create, answer, ready } = fakeWorkers();
    const queue = new MarkdownQueue(create, 1000);
    const first = queue.render('a');
    const second = queue.render('b');
    // Loading takes longer than the timeout: no message is blamed for it.
    vi.advanceTimersByTime(5000);
    expect(workers[0]!.posted).toEqual([]);
    ready(0);
    expect(workers[0]!.posted.map((m) => m.text)).toEqual(['a']);
    answer(0, '<p>a</p>');
    await expect(first).resolves.toBe('<p>a</p>');
    expect(workers[0]!.posted.map((m) => m.text)).toEqual(['a', 'b']);
    answer(0, '<p>b</p>');
    await expect(second).resolves.toBe('<p>b</p>');
    expect(workers).toHaveLength(1);
  });

  it('gives up on a message that takes too long, replaces the worker and goes on', async () => {
    const { workers, create, answer, ready } = fakeWorkers();
    const queue = new MarkdownQueue(create, 1000);
    const hostile = queue.render('_a'.repeat(25_000));
    const next = queue.render('fine');
    ready(0);
    vi.advanceTimersByTime(1000);
    await expect(hostile).resolves.toBeUndefined();
    expect(workers[0]!.terminated).toBe(true);
    ready(1);
    expect(workers[1]!.posted.map((m) => m.text)).toEqual(['fine']);
    answer(1, '<p>fine</p>');
    await expect(next).resolves.toBe('<p>fine</p>');
  });

  it('resolves undefined when the worker reports an error, or cannot load at all', async () => {
    const { workers, create, ready } = fakeWorkers();
    const queue = new MarkdownQueue(create, 1000);
    const result = queue.render('>'.repeat(5000));
    ready(0);
    const message = workers[0]!.posted[0]!;
    workers[0]!.worker.onmessage?.({ data: { id: message.id, error: 'Maximum call stack size exceeded' } });
    await expect(result).resolves.toBeUndefined();

    const broken = queue.render('a');
    const queued = queue.render('b');
    workers[0]!.worker.onerror?.(new Error('blocked'));
    await expect(broken).resolves.toBeUndefined();
    await expect(queued).resolves.toBeUndefined();
  });
});

describe('renderMarkdown', () => {
  it('gives undefined, not a throw, when marked gives up on deep nesting', () => {
    // Outside a browser DOMPurify cannot sanitize, so only the failure path is checked here; the
    // browser tests cover the rendered output.
    expect(renderMarkdown('>'.repeat(5000))).toBeUndefined();
  });
});
