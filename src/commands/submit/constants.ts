/** Remote defaults (README "Remote providers"); the CLI shows them in --help without loading the pipeline. */
export const DEFAULT_RPS = 5;
export const DEFAULT_BURST = 1;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_RETRIES = 5;
