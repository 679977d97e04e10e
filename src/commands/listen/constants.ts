/** `ocrq listen` and `submit --listen` default to this port; the CLI shows it without loading the server. */
export const DEFAULT_LISTEN_PORT = 8787;
export const DEFAULT_LISTEN_HOST = '127.0.0.1';
