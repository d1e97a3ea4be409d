// A client-only dashboard: the data lives behind the WebSocket, nothing to render on a server.
export const ssr = false;
export const prerender = false;
