/** `ocrq listen` and `submit --listen` default to this port and address (the settings table owns them). */
export { DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT } from '../../config/settings.js';
