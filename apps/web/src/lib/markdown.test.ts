import { describe, expect, it } from 'vitest';
import { escapeHtml, highlightCode, MAX_HIGHLIGHT_CHARS } from './highlight';
import { markdownToHtml } from './markdown';

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

  it('keeps http(s) and mailto links, drops javascript: and data: targets to their label', () => {
    expect(markdownToHtml('[docs](https://example.com/a?b=1&c=2)')).toBe(
      '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">docs</a></p>\n',
    );
    expect(markdownToHtml('[click](javascript:alert(1))')).toBe('<p>click</p>\n');
    expect(markdownToHtml('[x](  JaVaScRiPt:alert(1))')).toBe('<p>x</p>\n');
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
