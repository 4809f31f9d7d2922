// A small zip writer and reader (PKWARE APPNOTE.TXT 6.3, sections 4.3–4.4), plain TypeScript for
// the page and Node. Every export of the studio is one zip (LoRA, dataset, backup), and imports
// accept zips that other tools wrote, so:
//
//   write: STORE only (method 0): the payloads are safetensors, MP4 and raw RGB, which DEFLATE
//          barely shrinks; CRC-32 per entry; names UTF-8 with general-purpose flag bit 11.
//   read:  STORE and DEFLATE (method 8, through DecompressionStream('deflate-raw'), streamed and
//          stopped at the declared size), the two methods every common zipper uses; entries
//          located through the central directory (so data descriptors, bit 3, need no special
//          case); CRC and sizes checked; the declared sizes together capped (MAX_ZIP_TOTAL_BYTES).
//
// Layout of an archive:
//   [local header 30 B + name][data] … for each entry
//   [central directory header 46 B + name] … for each entry
//   [end of central directory record 22 B + comment]
// No ZIP64: one archive holds < 4 GiB and < 65,536 entries, which the studio's exports respect
// by a wide margin (a 1,000-pair dataset is ~20 MB); the writer says so if that is ever exceeded.

import { crc32 } from '../io/crc32';

export { crc32 };

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const MAX_ENTRIES = 0xffff;
const MAX_OFFSET = 0xffffffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8_NAMES = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
/** Version 2.0: the minimum for DEFLATE and folders; what every reader accepts. */
const VERSION_NEEDED = 20;
/** "Made by" Unix (high byte 3), spec 2.0, so the external attributes carry a Unix mode. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
/** Regular file, rw-r--r-- (st_mode in the high 16 bits of the external attributes). */
const EXTERNAL_ATTRIBUTES_FILE = (0o100644 << 16) >>> 0;

/** A zip that cannot be read (or written): names the file, what is wrong, and what to do. */
export class ZipError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
    readonly advice = 'Check that the file is a complete .zip (download or export it again).',
  ) {
    super(`${fileName}: ${detail}. ${advice}`);
    this.name = 'ZipError';
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface ZipEntryInput {
  /** Path inside the archive, `/`-separated, e.g. `videos/r0-p0_0.mp4`. */
  name: string;
  /** Bytes, or text written as UTF-8. */
  data: Uint8Array | string;
}

const WRITE_NAME = '(zip being written)';

/** MS-DOS date and time of `date` in local time (the format zip headers use; 2-second steps). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function checkEntryName(name: string, seen: Set<string>): void {
  const problem =
    name.length === 0 ? 'an entry has an empty name'
    : name.startsWith('/') || /^[A-Za-z]:/.test(name) ? `entry "${name}" is an absolute path`
    : name.includes('\\') ? `entry "${name}" contains "\\"; zip paths use "/"`
    : name.split('/').some((part) => part === '..') ? `entry "${name}" climbs out of the archive with ".."`
    : seen.has(name) ? `two entries are both named "${name}"`
    : null;
  if (problem) throw new ZipError(WRITE_NAME, problem, 'Give every file a distinct relative path.');
  seen.add(name);
}

/**
 * The 26 bytes a local header (from offset 4) and its central-directory record (from offset 6)
 * share: version needed, flags, method, DOS time and date, CRC-32, both sizes, name length.
 */
function writeSharedHeaderFields(view: DataView, at: number, e: { name: Uint8Array; data: Uint8Array; crc: number }, stamp: { time: number; date: number }): void {
  view.setUint16(at, VERSION_NEEDED, true);
  view.setUint16(at + 2, FLAG_UTF8_NAMES, true);
  view.setUint16(at + 4, METHOD_STORE, true);
  view.setUint16(at + 6, stamp.time, true);
  view.setUint16(at + 8, stamp.date, true);
  view.setUint32(at + 10, e.crc, true);
  view.setUint32(at + 14, e.data.length, true); // compressed size (= stored)
  view.setUint32(at + 18, e.data.length, true); // uncompressed size
  view.setUint16(at + 22, e.name.length, true);
}

/**
 * One zip archive of `files`, in order, STORE method. `modified` stamps every entry (default:
 * now); pass a fixed date for byte-identical output.
 */
export function createZip(files: ZipEntryInput[], opts: { modified?: Date } = {}): Uint8Array {
  const encoder = new TextEncoder();
  const stamp = dosDateTime(opts.modified ?? new Date());
  const seen = new Set<string>();
  if (files.length > MAX_ENTRIES) {
    throw new ZipError(WRITE_NAME, `${files.length} files exceed the ${MAX_ENTRIES} entries of a zip without ZIP64`, 'Export fewer items at a time.');
  }
  const entries = files.map((f) => {
    checkEntryName(f.name, seen);
    const name = encoder.encode(f.name);
    if (name.length > 0xffff) throw new ZipError(WRITE_NAME, `entry name "${f.name.slice(0, 40)}…" is longer than 65,535 bytes`, 'Use a shorter name.');
    const data = typeof f.data === 'string' ? encoder.encode(f.data) : f.data;
    return { name, data, crc: crc32(data), offset: 0 };
  });

  // 1. sizes and offsets
  let localBytes = 0;
  for (const e of entries) {
    e.offset = localBytes;
    localBytes += LOCAL_HEADER_BYTES + e.name.length + e.data.length;
  }
  const centralBytes = entries.reduce((n, e) => n + CENTRAL_HEADER_BYTES + e.name.length, 0);
  if (localBytes + centralBytes > MAX_OFFSET) {
    throw new ZipError(WRITE_NAME, `the archive would be ${localBytes + centralBytes} bytes, more than a zip without ZIP64 can address (4 GiB)`, 'Export fewer items at a time.');
  }
  const out = new Uint8Array(localBytes + centralBytes + END_RECORD_BYTES);
  const view = new DataView(out.buffer);

  // 2. local headers and data
  for (const e of entries) {
    let p = e.offset;
    view.setUint32(p, LOCAL_HEADER_SIGNATURE, true);
    writeSharedHeaderFields(view, p + 4, e, stamp);
    view.setUint16(p + 28, 0, true); // extra field length
    p += LOCAL_HEADER_BYTES;
    out.set(e.name, p);
    out.set(e.data, p + e.name.length);
  }

  // 3. central directory
  let p = localBytes;
  for (const e of entries) {
    view.setUint32(p, CENTRAL_HEADER_SIGNATURE, true);
    view.setUint16(p + 4, VERSION_MADE_BY, true);
    writeSharedHeaderFields(view, p + 6, e, stamp);
    // 30: extra length, 32: comment length, 34: disk number start, 36: internal attributes — all 0
    view.setUint32(p + 38, EXTERNAL_ATTRIBUTES_FILE, true);
    view.setUint32(p + 42, e.offset, true);
    out.set(e.name, p + CENTRAL_HEADER_BYTES);
    p += CENTRAL_HEADER_BYTES + e.name.length;
  }

  // 4. end of central directory
  view.setUint32(p, END_OF_CENTRAL_DIRECTORY_SIGNATURE, true);
  view.setUint16(p + 8, entries.length, true); // entries on this disk
  view.setUint16(p + 10, entries.length, true); // entries in total
  view.setUint32(p + 12, centralBytes, true);
  view.setUint32(p + 16, localBytes, true); // central directory offset
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

const METHOD_NAMES: Record<number, string> = { 1: 'Shrink', 6: 'Implode', 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 99: 'AES encryption' };

interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Offset of the end-of-central-directory record: the last signature within comment reach. */
function findEndRecord(view: DataView, fileName: string): number {
  const last = view.byteLength - END_RECORD_BYTES;
  const first = Math.max(0, last - MAX_COMMENT_BYTES);
  for (let p = last; p >= first; p--) {
    if (view.getUint32(p, true) === END_OF_CENTRAL_DIRECTORY_SIGNATURE && p + END_RECORD_BYTES + view.getUint16(p + 20, true) === view.byteLength) return p;
  }
  if (view.byteLength >= 4 && view.getUint32(0, true) === LOCAL_HEADER_SIGNATURE) {
    throw new ZipError(fileName, 'the zip has no end-of-central-directory record: it is truncated');
  }
  throw new ZipError(fileName, 'is not a zip archive (no end-of-central-directory record)', 'Choose a .zip file.');
}

function readCentralDirectory(bytes: Uint8Array, view: DataView, fileName: string): CentralEntry[] {
  // 1. end record
  const end = findEndRecord(view, fileName);
  const count = view.getUint16(end + 10, true);
  const size = view.getUint32(end + 12, true);
  const offset = view.getUint32(end + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw new ZipError(fileName, 'is a ZIP64 archive, which this reader does not support', 'Re-create the zip without ZIP64 (it is needed only above 4 GiB or 65,535 files).');
  }
  if (offset + size > end) throw new ZipError(fileName, `the central directory (${size} bytes at ${offset}) runs past the end record at ${end}: the zip is truncated or corrupt`);

  // 2. central headers
  const utf8 = new TextDecoder('utf-8');
  const entries: CentralEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_HEADER_BYTES > offset + size || view.getUint32(p, true) !== CENTRAL_HEADER_SIGNATURE) {
      throw new ZipError(fileName, `central directory entry ${i + 1} of ${count} is missing or damaged: the zip is corrupt`);
    }
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    // Names without bit 11 are CP437 by the spec, but every tool in use writes UTF-8 (or ASCII,
    // where the two agree), so both decode as UTF-8.
    entries.push({
      name: utf8.decode(bytes.subarray(p + CENTRAL_HEADER_BYTES, p + CENTRAL_HEADER_BYTES + nameLength)),
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    });
    p += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The most a zip may unpack to, all entries together: 1 GiB. Sized from the largest real
 * archive, a backup: a `small` pair is two 8×32×32 RGB videos (2 × 24 KiB), so 1 GiB holds
 * ~21,800 pairs (about 18 hours of judging at 3 s a pair) plus project.json (a rank-4 round
 * LoRA of `small` is ~0.3 MB of base64). The cap is checked against the central directory's
 * declared sizes before anything is inflated, so a zip bomb costs no memory.
 */
export const MAX_ZIP_TOTAL_BYTES = 1024 ** 3;

export interface ReadZipOptions {
  /** Cap on the declared sizes of all entries together (default MAX_ZIP_TOTAL_BYTES). */
  maxTotalBytes?: number;
}

/** Inflated past the size its header declares: stopped there. */
class InflatedPastDeclaredSize extends Error {}

/**
 * Raw DEFLATE → bytes with the platform's decompressor (browsers and Node ≥ 18), streamed:
 * output is read chunk by chunk and the stream cancelled as soon as it passes `declaredSize`,
 * so a bomb (a few KB declaring 10 bytes and inflating to gigabytes) allocates at most one
 * chunk beyond the declared size.
 */
async function inflateRaw(data: Uint8Array, declaredSize: number): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // Errors surface on the read side; swallow the writer's copies of them.
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  // Chunks, not one buffer of the declared size: a header may declare a gigabyte for a few bytes.
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > declaredSize) {
      await reader.cancel().catch(() => undefined);
      throw new InflatedPastDeclaredSize();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Every file of a zip by its path (folders left out). `fileName` names the archive in errors.
 * Throws ZipError for anything it cannot read exactly: not a zip, truncated, encrypted, an
 * unsupported method, a CRC or size mismatch, or two entries with one name.
 */
export async function readZip(bytes: Uint8Array, fileName: string, opts: ReadZipOptions = {}): Promise<Map<string, Uint8Array>> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const files = new Map<string, Uint8Array>();
  const entries = readCentralDirectory(bytes, view, fileName);
  const maxTotalBytes = opts.maxTotalBytes ?? MAX_ZIP_TOTAL_BYTES;
  const declaredTotal = entries.reduce((n, e) => n + e.size, 0);
  if (declaredTotal > maxTotalBytes) {
    throw new ZipError(fileName, `its ${entries.length} entries would unpack to ${declaredTotal.toLocaleString('en')} bytes, more than the ${maxTotalBytes.toLocaleString('en')} a studio archive can hold`, 'Choose a backup or adapter exported by vpo-studio; split a larger archive.');
  }
  for (const e of entries) {
    if (e.name.endsWith('/')) continue; // a folder
    const where = `entry "${e.name}"`;
    if (e.flags & FLAG_ENCRYPTED) throw new ZipError(fileName, `${where} is encrypted`, 'Re-create the zip without a password.');
    if (e.method !== METHOD_STORE && e.method !== METHOD_DEFLATE) {
      throw new ZipError(fileName, `${where} uses compression method ${e.method}${METHOD_NAMES[e.method] ? ` (${METHOD_NAMES[e.method]})` : ''}; only stored and DEFLATE entries can be read`, 'Re-create the zip with ordinary (DEFLATE) compression.');
    }
    if (files.has(e.name)) throw new ZipError(fileName, `two entries are both named "${e.name}"`);

    // 1. local header: its name and extra field may differ in length from the central copy
    const p = e.localOffset;
    if (p + LOCAL_HEADER_BYTES > bytes.length || view.getUint32(p, true) !== LOCAL_HEADER_SIGNATURE) {
      throw new ZipError(fileName, `${where}: no local header at offset ${p}; the zip is truncated or corrupt`);
    }
    const start = p + LOCAL_HEADER_BYTES + view.getUint16(p + 26, true) + view.getUint16(p + 28, true);
    if (start + e.compressedSize > bytes.length) {
      throw new ZipError(fileName, `${where}: its ${e.compressedSize} bytes of data run past the end of the file; the zip is truncated`);
    }
    const raw = bytes.subarray(start, start + e.compressedSize);

    // 2. data
    let data: Uint8Array;
    if (e.method === METHOD_STORE) {
      if (e.compressedSize !== e.size) throw new ZipError(fileName, `${where} is stored with ${e.compressedSize} bytes but claims ${e.size}; the zip is corrupt`);
      data = raw.slice();
    } else {
      try {
        data = await inflateRaw(raw, e.size);
      } catch (err) {
        if (err instanceof InflatedPastDeclaredSize) throw new ZipError(fileName, `${where} inflates to more than the ${e.size} bytes its header declares (stopped there); the zip is corrupt or a zip bomb`);
        throw new ZipError(fileName, `${where}: its DEFLATE data is corrupt (${(err as Error).message})`);
      }
    }

    // 3. checks
    if (data.length !== e.size) throw new ZipError(fileName, `${where} holds ${data.length} bytes but its header says ${e.size}; the zip is corrupt`);
    const crc = crc32(data);
    if (crc !== e.crc) {
      throw new ZipError(fileName, `${where} fails its CRC-32 check (0x${crc.toString(16).padStart(8, '0')} ≠ 0x${e.crc.toString(16).padStart(8, '0')}); the zip is corrupt`);
    }
    files.set(e.name, data);
  }
  return files;
}

/** Whether `bytes` starts like a zip archive (a local header, or an empty archive's end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const signature = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return signature === LOCAL_HEADER_SIGNATURE || signature === END_OF_CENTRAL_DIRECTORY_SIGNATURE;
}
