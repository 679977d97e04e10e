import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_REGISTRY, PROVIDERS, hasAdapter, isProviderName, loadAdapter } from '../../src/providers/registry.js';
import { REPO_ROOT } from '../helpers/tmp.js';

const SRC = path.join(REPO_ROOT, 'src');

/** The modules a file loads when it is imported: value imports only, followed through relative paths. */
function staticImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'(\.[^']+)'/gm)) {
      const named = /\{([^}]*)\}/.exec(m[2]);
      const typesOnly = named !== null && m[2].replace(named[0], '').replace(/,/g, '').trim() === '' && named[1].split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '));
      if (m[1] || typesOnly) continue;
      visit(path.resolve(path.dirname(file), m[3].replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return new Set([...seen].map((file) => path.relative(SRC, file)));
}

describe('the provider registry', () => {
  it('lists the providers in their command-line order', () => {
    expect(PROVIDERS).toEqual(['ocrqueen', 'leapocr', 'docextract', 'qomplement', 'process-job']);
    expect(isProviderName('leapocr')).toBe(true);
    for (const name of ['acme', '', 'constructor', '__proto__']) {
      expect(isProviderName(name), name).toBe(false);
      expect(hasAdapter(name as never), name).toBe(false);
    }
  });

  it.each(PROVIDERS)('%s: its entry, adapter and webhook reader agree, and it has a docs page', async (name) => {
    const entry = PROVIDER_REGISTRY[name];
    expect(entry.name).toBe(name);
    expect(entry.keyEnv).toMatch(/^[A-Z][A-Z0-9_]*_API_KEY$/);
    expect(hasAdapter(name)).toBe(true);
    expect((await loadAdapter(name))?.name).toBe(name);
    const webhooks = await entry.webhooks();
    expect(webhooks.shapes.length).toBeGreaterThan(0);
    expect(existsSync(path.join(REPO_ROOT, 'docs', 'providers', `${name}.md`))).toBe(true);
  });

  it('gives every body shape its own rank, so auto-detection does not depend on the registry order', async () => {
    const ranks = (await Promise.all(PROVIDERS.map((name) => PROVIDER_REGISTRY[name].webhooks()))).flatMap((w) => w.shapes.map((s) => s.rank));
    expect(new Set(ranks).size).toBe(ranks.length);
  });

  it('is plain data at start-up: the CLI loads no adapter, webhook reader or HTTP client', () => {
    const loaded = staticImports(path.join(SRC, 'cli.ts'));
    expect(loaded).toContain(path.join('providers', 'registry.ts'));
    for (const name of PROVIDERS) expect(loaded).toContain(path.join('providers', name, 'index.ts'));
    const heavy = [...loaded].filter((file) => /^providers\/[^/]+\/(adapter|webhook)\.ts$|^targets\/http\/|^results\//.test(file.split(path.sep).join('/')));
    expect(heavy).toEqual([]);
  });
});
