/// <reference lib="webworker" />
import { markdownToHtml } from './markdown-render';

/**
 * Markdown to HTML off the main thread: a hostile message (deep nesting, thousands of delimiters) can
 * keep marked busy for seconds, and here that costs a worker, not the page. The page sanitizes the
 * result and gives up on a message that takes too long.
 */
self.onmessage = (event: MessageEvent<{ id: number; text: string }>) => {
  const { id, text } = event.data;
  try {
    self.postMessage({ id, html: markdownToHtml(text) });
  } catch (error) {
    self.postMessage({ id, error: (error as Error).message });
  }
};

self.postMessage({ ready: true });
