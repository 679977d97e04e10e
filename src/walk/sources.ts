import path from 'node:path';

/** Joins the way the user wrote it: `docs` + `a/b.pdf` → `docs/a/b.pdf`, `./docs/` + `x` → `./docs/x`. */
export function joinSource(base: string, rel: string): string {
  if (base === '.' || base === './') return rel;
  return base.endsWith('/') || base.endsWith(path.sep) ? base + rel : `${base}/${rel}`;
}
