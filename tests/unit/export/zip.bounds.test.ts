// Zip reading is bounded: an entry inflates only up to the size its header declares
// (streamed, cancelled there), and all entries together are capped before anything inflates,
// so a zip bomb is a named error that costs no memory, on Import LoRA and Restore project alike.
import { createDeflateRaw } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BackupError, restoreProject } from '../../../src/export/backup';
import { importLora, LoraImportError } from '../../../src/export/lora-zip';
import { createZip, crc32, MAX_ZIP_TOTAL_BYTES, readZip, ZipError } from '../../../src/export/zip';
import { presetConfig } from '../../../src/model/presets';
import { rejection } from '../fixtures/export';

const MiB = 1024 * 1024;

/** Raw DEFLATE of `mib` MiB of zeros, streamed from one 1 MiB buffer (the test never holds the whole). */
async function deflatedZeros(mib: number): Promise<Uint8Array> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const finished = new Promise((resolve) => deflate.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < mib; i++) deflate.write(zeros);
  deflate.end();
  await finished;
  return new Uint8Array(Buffer.concat(out));
}

/** A one-entry DEFLATE zip whose headers declare `declaredSize` and `crc` for `compressed`. */
function zipOf(name: string, compressed: Uint8Array, declaredSize: number, crc = 0): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const header = (signature: number, size: number) => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(signature, 0);
    return b;
  };
  // The fields a local header (from offset 4) and its central record (from offset 6) share.
  const shared = (b: Buffer, at: number) => {
    b.writeUInt16LE(20, at); // version needed
    b.writeUInt16LE(8, at + 4); // DEFLATE
    b.writeUInt32LE(crc, at + 10);
    b.writeUInt32LE(compressed.length, at + 14);
    b.writeUInt32LE(declaredSize, at + 18);
    b.writeUInt16LE(nameBytes.length, at + 22);
    return b;
  };
  const local = shared(header(0x04034b50, 30), 4);
  const central = shared(header(0x02014b50, 46), 6);
  const end = header(0x06054b50, 22);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBytes.length, 12);
  end.writeUInt32LE(30 + nameBytes.length + compressed.length, 16);
  return new Uint8Array(Buffer.concat([local, nameBytes, compressed, central, nameBytes, end]));
}

/** The most the process's ArrayBuffer memory grew while `work` ran (sampled every ms). */
async function peakArrayBufferGrowth(work: () => Promise<unknown>): Promise<number> {
  const start = process.memoryUsage().arrayBuffers;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - start;
}

describe('readZip: a zip bomb stops at the declared size', () => {
  it('128 MiB of zeros declared as 10 bytes: a ZipError naming the entry, memory flat', async () => {
    const compressed = await deflatedZeros(128);
    expect(compressed.length).toBeLessThan(200_000); // ~1,000:1
    const bomb = zipOf('project.json', compressed, 10);
    let error: Error | undefined;
    const growth = await peakArrayBufferGrowth(async () => {
      error = await rejection(readZip(bomb, 'bomb.zip'));
    });
    expect(error).toBeInstanceOf(ZipError);
    expect(error!.message).toMatch(/^bomb\.zip: entry "project\.json" inflates to more than the 10 bytes its header declares \(stopped there\)/);
    expect(growth).toBeLessThan(8 * MiB); // inflating it all took +128 MiB
  });

  it('a DEFLATE entry that inflates to fewer bytes than declared is still refused', async () => {
    const compressed = await deflatedZeros(1);
    const e = await rejection(readZip(zipOf('a.bin', compressed, MiB + 5, crc32(new Uint8Array(MiB))), 'short.zip'));
    expect(e.message).toMatch(/entry "a\.bin" holds 1048576 bytes but its header says 1048581/);
  });

  it('Import LoRA and Restore project name the bomb in their own errors', async () => {
    const bomb = zipOf('adapter_model.safetensors', await deflatedZeros(16), 10);
    const lora = await rejection(importLora([{ name: 'lora.zip', bytes: bomb }], presetConfig('tiny')));
    expect(lora).toBeInstanceOf(LoraImportError);
    expect(lora.message).toMatch(/^lora\.zip: entry "adapter_model\.safetensors" inflates to more than the 10 bytes/);
    const backup = await rejection(restoreProject(bomb, 'backup.zip'));
    expect(backup).toBeInstanceOf(BackupError);
    expect(backup.message).toMatch(/^backup\.zip: entry "adapter_model\.safetensors" inflates to more than the 10 bytes.*Nothing was changed/);
  });
});

describe('readZip: a cap on the whole archive', () => {
  it('is 1 GiB by default and is checked on the declared sizes before anything inflates', async () => {
    expect(MAX_ZIP_TOTAL_BYTES).toBe(1024 ** 3);
    // one entry declaring 3 GiB (a header lie or a real monster): refused at once
    const e = await rejection(readZip(zipOf('videos/a.rgb', await deflatedZeros(1), 3 * 1024 ** 3), 'huge.zip'));
    expect(e).toBeInstanceOf(ZipError);
    expect(e.message).toMatch(/^huge\.zip: its 1 entries would unpack to 3,221,225,472 bytes, more than the 1,073,741,824 a studio archive can hold/);
  });

  it('counts every entry together, with a cap of the caller’s choosing', async () => {
    const zip = createZip([{ name: 'a', data: new Uint8Array(600) }, { name: 'b', data: new Uint8Array(600) }]);
    expect((await readZip(zip, 'ok.zip', { maxTotalBytes: 1200 })).size).toBe(2);
    expect((await rejection(readZip(zip, 'two.zip', { maxTotalBytes: 1199 }))).message).toMatch(/its 2 entries would unpack to 1,200 bytes, more than the 1,199/);
    const backup = await rejection(restoreProject(zip, 'b.zip', { maxTotalBytes: 1000 }));
    expect(backup).toBeInstanceOf(BackupError);
    expect(backup.message).toMatch(/^b\.zip: its 2 entries would unpack/);
  });
});
