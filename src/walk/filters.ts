/**
 * --include and --exclude as the walk applies them (README "Filters"; traverse.ts decides where each is asked).
 */
import picomatch from 'picomatch';

export interface Filters {
  readonly includes: boolean;
  isExcluded(rel: string): boolean;
  isIncluded(rel: string): boolean;
  /** An entry's path inside its archive, or one of the folders above it there, matches --exclude. */
  isEntryExcluded(name: string): boolean;
}

/**
 * Patterns without a slash match the base name anywhere, as in rsync and rclone filters; patterns with one match the
 * whole path (below the argument, or inside the archive). picomatch's `basename` option alone would match every
 * pattern against the base name only.
 */
function matcher(patterns: string[]): ((rel: string) => boolean) | null {
  if (patterns.length === 0) return null;
  const names = patterns.filter((p) => !p.includes('/'));
  const paths = patterns.filter((p) => p.includes('/'));
  const byName = names.length > 0 ? picomatch(names, { dot: true, basename: true }) : null;
  const byPath = paths.length > 0 ? picomatch(paths, { dot: true }) : null;
  return (rel) => (byName !== null && byName(rel)) || (byPath !== null && byPath(rel));
}

export function makeFilters(include: string[], exclude: string[]): Filters {
  const inc = matcher(include);
  const exc = matcher(exclude);
  return {
    includes: inc !== null,
    isExcluded: (rel) => (exc ? exc(rel) : false),
    isIncluded: (rel) => (inc ? inc(rel) : true),
    // As a folder on disk prunes what is under it, a folder inside an archive does.
    isEntryExcluded: (name) => {
      if (!exc) return false;
      for (let slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) if (exc(name.slice(0, slash))) return true;
      return exc(name);
    },
  };
}
