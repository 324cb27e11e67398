// A HelmRelease's `postRenderers`, applied as helm-controller applies them: each kustomize post
// renderer in order (`patches`, `patchesStrategicMerge`, `patchesJson6902`, `images`) over the whole
// rendered release, with the real kustomize on a kustomization in a scratch folder (never in the
// user's repository).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { arr, get, rec, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { toolMessage } from './fetch-cache';
import type { Tool } from './tools';

type Obj = Record<string, unknown>;

/** The kustomization one post renderer amounts to, over `rendered.yaml`; undefined when it changes nothing. */
export function postRendererKustomization(renderer: unknown): Obj | undefined {
  const k = rec(get(renderer, 'kustomize'));
  if (!k) return undefined;
  const patches = [
    ...arr(k.patches),
    ...arr(k.patchesStrategicMerge).map((p) => ({ patch: typeof p === 'string' ? p : stringify(p) })),
    // The JSON 6902 form is `patches` with a target and the operations as the patch.
    ...arr(k.patchesJson6902).map((p) => ({ target: get(p, 'target'), patch: JSON.stringify(arr(get(p, 'patch'))) })),
  ];
  const images = arr(k.images);
  if (!patches.length && !images.length) return undefined;
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['rendered.yaml'],
    ...(patches.length ? { patches } : {}), ...(images.length ? { images } : {}),
  };
}

export type PostRendered = { ok: true; text: string; applied: number } | { ok: false; error: string };

export async function postRender(release: Obj, text: string, kustomize: Tool | undefined, signal?: AbortSignal): Promise<PostRendered> {
  const steps = arr(get(release, 'spec', 'postRenderers')).map(postRendererKustomization).filter((k): k is Obj => k !== undefined);
  if (!steps.length) return { ok: true, text, applied: 0 };
  if (!kustomize) return { ok: false, error: 'postRenderers need kustomize (or kubectl), which is not installed' };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'infra-implementor-postrender-'));
  try {
    let out = text;
    for (const k of steps) {
      await fs.writeFile(path.join(dir, 'rendered.yaml'), out);
      await fs.writeFile(path.join(dir, 'kustomization.yaml'), stringify(k));
      const r = await launch(kustomize.file, [...kustomize.prefix, dir], { timeout: 120_000, maxBuffer: 256 * 1024 * 1024, ...(signal ? { cancelSignal: signal } : {}) });
      if (r.exitCode !== 0) return { ok: false, error: `postRenderers: ${toolMessage(String(r.stderr || r.stdout), [`${dir}/`, dir])}` };
      out = String(r.stdout);
    }
    return { ok: true, text: out, applied: steps.length };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Name of an object for matching it before and after post-rendering. */
export const objectKey = (o: Obj): string => `${str(o.kind) ?? ''}/${str(get(o, 'metadata', 'namespace')) ?? ''}/${str(get(o, 'metadata', 'name')) ?? ''}`;
