import adapter from '@sveltejs/adapter-static';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    // A single-page app: the server answers every non-API path with index.html.
    adapter: adapter({ fallback: 'index.html', precompress: false }),
    output: { bundleStrategy: 'split' },
  },
};
