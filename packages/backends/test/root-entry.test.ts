/**
 * The root entry must not pull in any tfjs backend package: a bundle of it contains none, and the
 * subpath entries each bring exactly their own.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

async function bundledPackages(entry: string): Promise<string[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(src, entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['strata-source'],
    // Only which tfjs backend packages come along matters here.
    external: ['@tensorflow/tfjs-core', '@strata/core'],
    logLevel: 'silent',
  });
  const found = new Set<string>();
  for (const file of Object.keys(result.metafile.inputs)) {
    const m = /@tensorflow\/(tfjs-backend-[a-z]+)/.exec(file);
    if (m) found.add(m[1]);
  }
  return [...found].sort();
}

describe('entry points', () => {
  it('the root entry bundles no tfjs backend package', async () => {
    expect(await bundledPackages('index.ts')).toEqual([]);
  });

  it('each subpath entry bundles only its own tfjs backend', async () => {
    expect(await bundledPackages('cpu.ts')).toEqual(['tfjs-backend-cpu']);
    // tfjs-backend-wasm, -webgl and -webgpu themselves depend on tfjs-backend-cpu's shared kernel code.
    const wasm = await bundledPackages('wasm.ts');
    expect(wasm).toContain('tfjs-backend-wasm');
    expect(wasm).not.toContain('tfjs-backend-webgl');
    const webgl = await bundledPackages('webgl.ts');
    expect(webgl).toContain('tfjs-backend-webgl');
    expect(webgl).not.toContain('tfjs-backend-wasm');
    expect(webgl).not.toContain('tfjs-backend-webgpu');
    const webgpu = await bundledPackages('webgpu.ts');
    expect(webgpu).toContain('tfjs-backend-webgpu');
    expect(webgpu).not.toContain('tfjs-backend-webgl');
    expect(webgpu).not.toContain('tfjs-backend-wasm');
  });
});
