import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import { tempDir } from '../test/fixtures.js';
import { checkWritableDirectory, removeStaleTemporaries, writeFileAtomic } from './atomic-write.js';

describe('atomic writes', () => {
  test('writes a new file and replaces an old one, leaving nothing else', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'text');
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  test('a failed write leaves the destination as it was and removes its temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'taken');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'keep');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('keep');
  });

  test('checkWritableDirectory creates folders and fails where it cannot', async () => {
    const dir = tempDir();
    await checkWritableDirectory(join(dir, 'a', 'b'));
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]);
    writeFileSync(join(dir, 'file'), 'x');
    await expect(checkWritableDirectory(join(dir, 'file', 'sub'))).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  test('removeStaleTemporaries removes only the temporaries of processes that are gone', async () => {
    const dir = tempDir();
    // A process id that existed and has exited.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = `.m.keras.${gone}.0a1b2c3d.strata-tmp`;
    const live = `.m.keras.${process.pid}.0a1b2c3d.strata-tmp`;
    for (const f of [stale, live, 'm.keras', '.other']) writeFileSync(join(dir, f), 'x');
    await removeStaleTemporaries(dir);
    expect(readdirSync(dir).sort()).toEqual([live, '.other', 'm.keras'].sort());
  });
});
