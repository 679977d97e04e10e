/**
 * The deployment files (README "Running on many machines") are parsed as their platforms would, and checked for
 * what makes shards work: a Kubernetes Indexed Job whose pods each take `--shard <index>/N` with the index
 * declared where Kubernetes expands it, N agreeing with `completions`, per-index retries, and a merge Job on the
 * same volume; a CI matrix over 0..N-1 that uploads each manifest and a final job that merges them; and a Dockerfile
 * whose image holds production dependencies only, with ocrq as its entrypoint.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/tmp.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field below

const read = (rel: string) => fs.readFile(path.join(REPO_ROOT, rel), 'utf8');

describe('deploy/kubernetes/ocrq-indexed-job.yaml', () => {
  async function jobs(): Promise<Json[]> {
    const docs = parseAllDocuments(await read('deploy/kubernetes/ocrq-indexed-job.yaml'));
    for (const doc of docs) expect(doc.errors, String(doc.errors)).toEqual([]);
    return docs.map((d) => d.toJS() as Json);
  }

  it('an Indexed Job: N completions, parallelism, retries per index, restartPolicy Never', async () => {
    const [shards] = await jobs();
    expect(shards).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    const spec = shards.spec;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toEqual(expect.any(Number));
    expect(spec.parallelism).toBeGreaterThanOrEqual(1);
    expect(spec.parallelism).toBeLessThanOrEqual(spec.completions);
    expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(spec.template.spec.restartPolicy).toBe('Never');
    const codes = spec.podFailurePolicy.rules.filter((r: Json) => r.onExitCodes).map((r: Json) => [r.action, r.onExitCodes.values]);
    expect(codes).toEqual([['FailJob', [5]], ['FailIndex', [2]]]);
  });

  it('each pod runs submit --shard $(JOB_COMPLETION_INDEX)/N into its own manifest, the index declared from the downward API', async () => {
    const [shards] = await jobs();
    const container = shards.spec.template.spec.containers[0];
    const env = new Map<string, Json>(container.env.map((e: Json) => [e.name, e]));
    expect(env.get('JOB_COMPLETION_INDEX')?.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(env.get('SHARDS')?.value).toBe(String(shards.spec.completions));
    // tini stays PID 1 in front of the shell, as the image's entrypoint it replaces would.
    expect(container.command.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    expect(command).toMatch(/ocrq submit \/data\/in/);
    expect(command).toContain('--shard "$(JOB_COMPLETION_INDEX)/$(SHARDS)"');
    expect(command).toContain('--out "/data/manifests/shard-$(JOB_COMPLETION_INDEX).jsonl"');
    // Every $(VAR) Kubernetes is to expand is declared in the container's env.
    for (const [, name] of command.matchAll(/\$\(([A-Z_]+)\)/g)) expect(env.has(name), name).toBe(true);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
  });

  it('a merge Job, suspended until the shards are done, merges the manifests on the same volume', async () => {
    const [shards, merge] = await jobs();
    expect(merge).toMatchObject({ kind: 'Job', spec: { suspend: true } });
    const container = merge.spec.template.spec.containers[0];
    expect(container.args.slice(0, 2)).toEqual(['merge', '/data/manifests']);
    expect(container.args).toContain('--out');
    expect(merge.spec.template.spec.volumes).toEqual(shards.spec.template.spec.volumes);
    expect(container.image).toBe(shards.spec.template.spec.containers[0].image);
  });
});

describe('deploy/github-actions/ocr-matrix.yml', () => {
  async function workflow(): Promise<Json> {
    return parse(await read('deploy/github-actions/ocr-matrix.yml')) as Json;
  }

  it('a matrix over shards 0..N-1, each submitting --shard with its index and uploading its manifest', async () => {
    const wf = await workflow();
    const shards: number[] = wf.jobs.ocr.strategy.matrix.shard;
    expect(shards).toEqual(Array.from({ length: Number(wf.env.SHARDS) }, (_, i) => i));
    const steps: Json[] = wf.jobs.ocr.steps;
    const submit = steps.find((s) => typeof s.run === 'string' && s.run.includes('ocrq submit'))!;
    expect(submit.run).toContain('--shard "${{ matrix.shard }}/$SHARDS"');
    expect(submit.run).toContain('--out "manifests/shard-${{ matrix.shard }}.jsonl"');
    const upload = steps.find((s) => String(s.uses).startsWith('actions/upload-artifact'))!;
    expect(upload.with).toMatchObject({ name: 'manifest-shard-${{ matrix.shard }}', path: 'manifests/shard-${{ matrix.shard }}.jsonl' });
  });

  it('a final job downloads every manifest and runs ocrq merge', async () => {
    const wf = await workflow();
    const merge = wf.jobs.merge;
    expect(merge.needs).toBe('ocr');
    const steps: Json[] = merge.steps;
    const download = steps.findIndex((s) => String(s.uses).startsWith('actions/download-artifact'));
    const run = steps.findIndex((s) => typeof s.run === 'string' && s.run.startsWith('ocrq merge manifests'));
    expect(steps[download].with).toMatchObject({ pattern: 'manifest-shard-*', path: 'manifests', 'merge-multiple': true });
    expect(run).toBeGreaterThan(download);
    expect(steps[run].run).toContain('--out ocrq-manifest.jsonl');
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from another with production dependencies only and ocrq as the entrypoint', async () => {
    const lines = (await read('Dockerfile')).split('\n').filter((l) => !l.startsWith('#'));
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms).toEqual(['FROM node:20-slim AS build', 'FROM node:20-slim']);
    const runStage = lines.slice(lines.indexOf('FROM node:20-slim')).join('\n');
    expect(runStage).toContain('npm ci --omit=dev');
    expect(runStage).toContain('COPY --from=build /app ./');
    expect(runStage).not.toMatch(/npm (run )?build|apt-get/);
    expect(runStage).toMatch(/rm -rf [^\n]*\/usr\/local\/lib\/node_modules\/npm/);
    // tini as PID 1 reaps the processes killed page workers leave; Node as PID 1 would not.
    expect(runStage).toContain('COPY --from=build /usr/bin/tini-static /usr/bin/tini');
    expect(runStage).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/ocrq/bin/ocrq.js"]');
    expect(runStage).toContain('USER node');
  });
});
