import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, createZip, looksLikeZip, readZip, ZipError } from '../../../src/export/zip';
import { makeRng } from '../../../src/world/rng';
import { rejection } from '../fixtures/export';

const text = (s: string) => new TextEncoder().encode(s);

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

/**
 * A one-entry zip written by hand from the APPNOTE layout, independent of createZip: DEFLATE
 * data from node:zlib, sizes in a data descriptor (flag bit 3, zeros in the local header) as
 * streaming zippers write them.
 */
function deflatedZip(name: string, content: Uint8Array): Uint8Array {
  const nameBytes = text(name);
  const compressed = deflateRawSync(content);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x0808, 6); // data descriptor + UTF-8
  local.writeUInt16LE(8, 8); // DEFLATE
  local.writeUInt16LE(nameBytes.length, 26);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  descriptor.writeUInt32LE(compressed.length, 8);
  descriptor.writeUInt32LE(content.length, 12);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0808, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42); // local header at 0
  const centralOffset = local.length + nameBytes.length + compressed.length + descriptor.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return new Uint8Array(Buffer.concat([local, nameBytes, compressed, descriptor, central, nameBytes, end]));
}

describe('CRC-32', () => {
  it('matches the standard check value and the empty input', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(text('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('createZip → readZip', () => {
  const big = randomBytes(1 << 20, 7);
  const files = [
    { name: 'README.md', data: '# hello\n' },
    { name: 'données/vidéo 動画 🎞.txt', data: 'UTF-8 name and content: ünïcödé ✓' },
    { name: 'empty.bin', data: new Uint8Array(0) },
    { name: 'videos/big.rgb', data: big },
  ];
  const zip = createZip(files, { modified: new Date(2024, 4, 17, 12, 30, 10) });

  it('round trips names (UTF-8 included), an empty file and a 1 MB file byte for byte', async () => {
    const back = await readZip(zip, 'test.zip');
    expect([...back.keys()]).toEqual(files.map((f) => f.name));
    expect(new TextDecoder().decode(back.get('données/vidéo 動画 🎞.txt'))).toBe('UTF-8 name and content: ünïcödé ✓');
    expect(back.get('empty.bin')!.length).toBe(0);
    expect(back.get('videos/big.rgb')!.length).toBe(1 << 20);
    expect(Buffer.compare(back.get('videos/big.rgb')!, big)).toBe(0);
  });
  it('stores (method 0) with the UTF-8 flag, and is recognisable as a zip', () => {
    const view = new DataView(zip.buffer);
    expect(view.getUint32(0, true)).toBe(0x04034b50);
    expect(view.getUint16(6, true) & 0x0800).toBe(0x0800);
    expect(view.getUint16(8, true)).toBe(0);
    expect(looksLikeZip(zip)).toBe(true);
    expect(looksLikeZip(text('safetensors…'))).toBe(false);
  });
  it('same input and time stamp, same bytes; an empty archive reads as empty', async () => {
    expect(Buffer.compare(createZip(files, { modified: new Date(2024, 4, 17, 12, 30, 10) }), zip)).toBe(0);
    expect((await readZip(createZip([]), 'empty.zip')).size).toBe(0);
  });
  it('refuses names that would be ambiguous or escape the folder', () => {
    expect(() => createZip([{ name: 'a', data: '' }, { name: 'a', data: '' }])).toThrow(/two entries are both named "a"/);
    expect(() => createZip([{ name: '../evil', data: '' }])).toThrow(ZipError);
    expect(() => createZip([{ name: '/abs', data: '' }])).toThrow(/absolute path/);
  });
});

describe('readZip of other zippers’ output', () => {
  it('inflates a DEFLATE entry (node:zlib) with a data descriptor', async () => {
    const content = text('rectified flow '.repeat(500));
    const zip = deflatedZip('notes/flow.txt', content);
    const back = await readZip(zip, 'deflated.zip');
    expect(new TextDecoder().decode(back.get('notes/flow.txt'))).toBe('rectified flow '.repeat(500));
    expect(zip.length).toBeLessThan(content.length); // it really was compressed
  });
  it('a corrupt DEFLATE stream or an unsupported method is a ZipError naming the entry', async () => {
    const zip = deflatedZip('a.txt', text('x'.repeat(1000)));
    const broken = zip.slice();
    broken.fill(0xff, 30 + 5, 30 + 9); // inside the compressed data
    const e = await rejection(readZip(broken, 'broken.zip'));
    expect(e).toBeInstanceOf(ZipError);
    expect(e.message).toMatch(/^broken\.zip: entry "a\.txt"/);

    const bzip2 = zip.slice();
    const centralStart = new DataView(bzip2.buffer).getUint32(bzip2.length - 22 + 16, true);
    new DataView(bzip2.buffer).setUint16(centralStart + 10, 12, true);
    expect((await rejection(readZip(bzip2, 'b.zip'))).message).toMatch(/method 12 \(bzip2\)/);
  });
});

describe('readZip rejects what it cannot read, naming the file', () => {
  const zip = createZip([{ name: 'one.txt', data: 'first file' }, { name: 'two.bin', data: randomBytes(5000, 3) }]);

  it('not a zip at all', async () => {
    const e = await rejection(readZip(text('just some text, not an archive'), 'notes.txt'));
    expect(e).toBeInstanceOf(ZipError);
    expect(e.message).toMatch(/^notes\.txt: is not a zip archive/);
    expect((await rejection(readZip(new Uint8Array(0), 'empty'))).message).toMatch(/^empty: is not a zip archive/);
  });
  it('truncated: at the end, or in the middle', async () => {
    expect((await rejection(readZip(zip.slice(0, zip.length - 10), 'cut.zip'))).message).toMatch(/^cut\.zip: .*truncated/);
    expect((await rejection(readZip(zip.slice(0, 2000), 'half.zip'))).message).toMatch(/^half\.zip: .*truncated/);
  });
  it('a flipped data byte fails the CRC check', async () => {
    const corrupt = zip.slice();
    corrupt[30 + 'one.txt'.length + 2] ^= 0x20;
    const e = await rejection(readZip(corrupt, 'flipped.zip'));
    expect(e).toBeInstanceOf(ZipError);
    expect(e.message).toMatch(/^flipped\.zip: entry "one\.txt" fails its CRC-32 check/);
  });
  it('a damaged central directory', async () => {
    const corrupt = zip.slice();
    const centralStart = new DataView(corrupt.buffer).getUint32(corrupt.length - 22 + 16, true);
    corrupt[centralStart] = 0;
    expect((await rejection(readZip(corrupt, 'cd.zip'))).message).toMatch(/^cd\.zip: central directory entry 1 of 2 is missing or damaged/);
  });
});
