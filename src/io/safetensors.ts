// safetensors reader/writer (https://huggingface.co/docs/safetensors — format section).
//
// Layout of a file:
//   [0, 8)          u64 little-endian N: byte length of the JSON header
//   [8, 8+N)        UTF-8 JSON: {"__metadata__": {str: str}, "<name>": {dtype, shape, data_offsets}}
//   [8+N, EOF)      data buffer; data_offsets = [begin, end) are relative to its first byte
//
// Plain TypeScript: runs in Node (scripts, unit tests) and in the browser (engine worker).
// Parsed tensors are views into the input bytes where the offset allows it (zero copy) and
// copies otherwise, so callers must not assume either.

export type DType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'BOOL';

/** F32 → Float32Array, F16/BF16 → Uint16Array (raw bits), I32 → Int32Array,
 *  I64 → BigInt64Array, U8/BOOL → Uint8Array. Element order is row-major over `shape`. */
export interface TensorEntry {
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array | Uint16Array;
}

export interface ParsedSafetensors {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const ADVICE_NOT_SAFETENSORS = 'this is not a safetensors file (or it is truncated); re-download or re-export it';
const ADVICE_REEXPORT = 're-export the file';

/** Every problem with a file names the file, what was wrong and what to do. */
export class SafetensorsError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
    readonly advice: string = ADVICE_REEXPORT,
  ) {
    super(`${fileName}: ${detail} — ${advice}`);
    this.name = 'SafetensorsError';
  }
}

interface DTypeInfo {
  bytes: number;
  // The typed array class that holds this dtype's elements in a TensorEntry.
  array: Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | BigInt64ArrayConstructor | Uint16ArrayConstructor;
}

const DTYPES: Record<DType, DTypeInfo> = {
  F32: { bytes: 4, array: Float32Array },
  F16: { bytes: 2, array: Uint16Array },
  BF16: { bytes: 2, array: Uint16Array },
  I32: { bytes: 4, array: Int32Array },
  I64: { bytes: 8, array: BigInt64Array },
  U8: { bytes: 1, array: Uint8Array },
  BOOL: { bytes: 1, array: Uint8Array },
};

const SUPPORTED_DTYPES = Object.keys(DTYPES) as DType[];
const METADATA_KEY = '__metadata__';
const HEADER_LENGTH_BYTES = 8;
const HEADER_ALIGNMENT = 8;

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** Product of the dimensions; 1 for a scalar (shape []). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

// The format is little-endian and typed arrays use the host's byte order; every platform a
// browser or Node runs on today is little-endian, so we check once instead of byte-swapping.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export function parseSafetensors(bytes: Uint8Array, fileName: string): ParsedSafetensors {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new SafetensorsError(fileName, 'this host is big-endian', 'safetensors reading needs a little-endian platform');
  }
  // 1. header length
  if (bytes.byteLength < HEADER_LENGTH_BYTES) {
    throw new SafetensorsError(
      fileName,
      `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`,
      ADVICE_NOT_SAFETENSORS,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLengthBig = view.getBigUint64(0, true);
  const available = bytes.byteLength - HEADER_LENGTH_BYTES;
  if (headerLengthBig > BigInt(available)) {
    throw new SafetensorsError(
      fileName,
      `header length ${headerLengthBig} is larger than the ${available} bytes that follow it`,
      ADVICE_NOT_SAFETENSORS,
    );
  }
  const headerLength = Number(headerLengthBig);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = bytes.byteLength - dataStart;

  // 2. header JSON (a key given twice would silently keep its last value: refused)
  const header = decodeHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart), fileName);
  const metadata = readMetadata(header[METADATA_KEY], fileName);

  // 3. tensor entries, validated one by one, then checked together in offset order
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push(readHeaderEntry(name, raw, dataLength, fileName));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkFullyIndexed(entries, dataLength, fileName);

  // 4. typed views (or copies when the offset is not aligned to the element size)
  const tensors = new Map<string, TensorEntry>();
  for (const entry of entries) {
    tensors.set(entry.name, {
      dtype: entry.dtype,
      shape: entry.shape,
      data: typedData(bytes, dataStart + entry.begin, dataStart + entry.end, entry.dtype),
    });
  }
  return { tensors, metadata };
}

function decodeHeader(headerBytes: Uint8Array, fileName: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(fileName, 'header is not valid UTF-8', ADVICE_NOT_SAFETENSORS);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(fileName, `header is not valid JSON (${reason})`, ADVICE_NOT_SAFETENSORS);
  }
  if (!isPlainObject(header)) {
    const kind = header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header;
    throw new SafetensorsError(fileName, `header JSON is ${kind}, expected an object of tensors`, ADVICE_NOT_SAFETENSORS);
  }
  checkUniqueKeys(text, header, fileName);
  return header;
}

function readMetadata(raw: unknown, fileName: string): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    throw new SafetensorsError(fileName, '"__metadata__" is not an object of strings');
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        fileName,
        `"__metadata__" value for "${key}" is ${JSON.stringify(value)}, but metadata values must be strings`,
        're-export the file with JSON-encoded metadata values',
      );
    }
    metadata[key] = value;
  }
  return metadata;
}

/**
 * The format's rule that "the byte buffer needs to be entirely indexed, and cannot contain
 * holes": the non-empty tensors, in offset order, tile [0, dataLength) exactly. A hole or bytes
 * after the last tensor would hide data no reader sees; an overlap would alias two tensors.
 * Empty tensors occupy no bytes and may sit at any in-range offset.
 */
function checkFullyIndexed(sorted: readonly HeaderEntry[], dataLength: number, fileName: string): void {
  let previous: HeaderEntry | undefined; // last non-empty tensor
  let cursor = 0;
  for (const current of sorted) {
    if (current.end === current.begin) continue;
    if (current.begin < cursor) {
      throw new SafetensorsError(
        fileName,
        `tensor "${current.name}" data_offsets [${current.begin}, ${current.end}] overlap tensor "${previous!.name}" [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (current.begin > cursor) {
      const after = previous ? `after tensor "${previous.name}" (which ends at ${cursor})` : 'at the start of the data buffer';
      throw new SafetensorsError(fileName, `${current.begin - cursor} bytes ${after} belong to no tensor: tensor "${current.name}" starts at ${current.begin}, and the format allows no holes`);
    }
    previous = current;
    cursor = current.end;
  }
  if (cursor !== dataLength) {
    const after = previous ? `after the last tensor "${previous.name}"` : 'with no non-empty tensor';
    throw new SafetensorsError(fileName, `the data buffer holds ${dataLength - cursor} bytes ${after} that belong to no tensor, and the format allows no holes`);
  }
}

/**
 * The keys of the top-level object of `text`, in order, duplicates kept (JSON.parse keeps only
 * the last value of a repeated key). `text` must already have parsed as a JSON object.
 */
export function topLevelJsonKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // a string: find its end, skipping escaped characters
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(i, j + 1)) as string);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

function checkUniqueKeys(text: string, header: Record<string, unknown>, fileName: string): void {
  const keys = topLevelJsonKeys(text);
  if (keys.length === Object.keys(header).length) return;
  const seen = new Set<string>();
  const repeated = keys.find((k) => (seen.has(k) ? true : (seen.add(k), false)));
  throw new SafetensorsError(fileName, `the header names ${JSON.stringify(repeated)} twice; a reader would keep only one of them`);
}

function readHeaderEntry(name: string, raw: unknown, dataLength: number, fileName: string): HeaderEntry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(raw)) {
    throw new SafetensorsError(fileName, `${where} header entry is not an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isDType(dtype)) {
    throw new SafetensorsError(
      fileName,
      `${where} has unknown dtype ${JSON.stringify(dtype)} (supported: ${SUPPORTED_DTYPES.join(', ')})`,
      `re-export the file with one of ${SUPPORTED_DTYPES.join('/')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(fileName, `${where} shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new SafetensorsError(
      fileName,
      `${where} data_offsets ${JSON.stringify(offsets)} is not a pair [begin, end] of non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw new SafetensorsError(
      fileName,
      `${where} data_offsets [${begin}, ${end}] are out of range: the data buffer holds ${dataLength} bytes`,
      'the file is truncated or corrupt; re-export it',
    );
  }
  const expectedBytes = elementCount(shape) * DTYPES[dtype].bytes;
  if (end - begin !== expectedBytes) {
    throw new SafetensorsError(
      fileName,
      `${where} data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${expectedBytes}`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

function typedData(bytes: Uint8Array, start: number, end: number, dtype: DType): TensorEntry['data'] {
  const { bytes: elementBytes, array } = DTYPES[dtype];
  const length = (end - start) / elementBytes;
  const absoluteOffset = bytes.byteOffset + start;
  if (absoluteOffset % elementBytes === 0) {
    return new array(bytes.buffer as ArrayBuffer, absoluteOffset, length);
  }
  // Unaligned: typed arrays need offset % elementBytes === 0, so copy into a fresh buffer.
  const copy = bytes.slice(start, end);
  return new array(copy.buffer, 0, length);
}

// ---------------------------------------------------------------------------------------------
// Writing

const WRITE_FILE_NAME = '(safetensors being written)';

export function serializeSafetensors(
  tensors: Map<string, TensorEntry> | Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const named = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, entry] of named) checkEntryForWriting(name, entry);
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new SafetensorsError(WRITE_FILE_NAME, `metadata value for "${key}" is not a string`, 'JSON-encode it first');
      }
    }
  }

  // 1. order: larger elements first (then by name, as the Python writer does), so every tensor
  //    starts at a multiple of its element size and readers get zero-copy views.
  const ordered = [...named].sort(
    ([nameA, a], [nameB, b]) =>
      DTYPES[b.dtype].bytes - DTYPES[a.dtype].bytes || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );

  // 2. header: __metadata__ first, offsets assigned in data order
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let dataLength = 0;
  for (const [name, entry] of ordered) {
    const begin = dataLength;
    dataLength += entry.data.byteLength;
    header[name] = { dtype: entry.dtype, shape: [...entry.shape], data_offsets: [begin, dataLength] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (valid JSON whitespace) so the data buffer starts 8-byte aligned.
  const headerLength = Math.ceil(json.byteLength / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;

  // 3. one allocation: length, header, data
  const out = new Uint8Array(HEADER_LENGTH_BYTES + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, HEADER_LENGTH_BYTES);
  out.fill(0x20, HEADER_LENGTH_BYTES + json.byteLength, HEADER_LENGTH_BYTES + headerLength);
  let cursor = HEADER_LENGTH_BYTES + headerLength;
  for (const [, entry] of ordered) {
    out.set(new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength), cursor);
    cursor += entry.data.byteLength;
  }
  return out;
}

function checkEntryForWriting(name: string, entry: TensorEntry): void {
  const where = `tensor "${name}"`;
  if (name === METADATA_KEY) {
    throw new SafetensorsError(WRITE_FILE_NAME, `"${METADATA_KEY}" is reserved and cannot name a tensor`, 'rename the tensor');
  }
  if (!isDType(entry.dtype)) {
    throw new SafetensorsError(WRITE_FILE_NAME, `${where} has unknown dtype ${JSON.stringify(entry.dtype)}`, `use one of ${SUPPORTED_DTYPES.join('/')}`);
  }
  if (!entry.shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(WRITE_FILE_NAME, `${where} shape ${JSON.stringify(entry.shape)} is not an array of non-negative integers`, 'fix the shape');
  }
  const { array } = DTYPES[entry.dtype];
  if (!(entry.data instanceof array)) {
    throw new SafetensorsError(
      WRITE_FILE_NAME,
      `${where} is ${entry.dtype} but its data is a ${entry.data.constructor.name}`,
      `store ${entry.dtype} data in a ${array.name}`,
    );
  }
  const count = elementCount(entry.shape);
  if (entry.data.length !== count) {
    throw new SafetensorsError(
      WRITE_FILE_NAME,
      `${where} has ${entry.data.length} elements but shape [${entry.shape.join(', ')}] needs ${count}`,
      'fix the shape or the data',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Float conversions

/** F32 data as Float32Array: F32 returned as stored (already aligned: parse copies unaligned
 *  data), F16/BF16 decoded exactly (every F16/BF16 value is representable in F32). */
export function toFloat32(entry: TensorEntry, name: string, fileName: string): Float32Array {
  switch (entry.dtype) {
    case 'F32':
      return entry.data as Float32Array;
    case 'F16':
      return f16BitsToFloat32(entry.data as Uint16Array);
    case 'BF16':
      return bf16BitsToFloat32(entry.data as Uint16Array);
    default:
      throw new SafetensorsError(
        fileName,
        `tensor "${name}" has dtype ${entry.dtype}, expected a floating-point tensor (F32, F16 or BF16)`,
        'export the weights as F32 or F16',
      );
  }
}

// F16 bits → F32 bits, built once on first use (65536 × 4 B = 256 KiB). Working on bits keeps
// NaN payloads and −0 exact, which going through JS numbers would not guarantee.
let f16ToF32BitsTable: Uint32Array | null = null;

function buildF16Table(): Uint32Array {
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    if (exponent === 0) {
      if (mantissa === 0) {
        table[h] = sign; // ±0
      } else {
        // subnormal m·2^-24: normalise so the leading 1 reaches bit 10
        let f32Exponent = 127 - 14;
        while ((mantissa & 0x400) === 0) {
          mantissa <<= 1;
          f32Exponent--;
        }
        table[h] = sign | (f32Exponent << 23) | ((mantissa & 0x3ff) << 13);
      }
    } else if (exponent === 0x1f) {
      table[h] = sign | 0x7f800000 | (mantissa << 13); // ±inf, NaN (payload kept)
    } else {
      table[h] = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
  }
  return table;
}

export function f16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = (f16ToF32BitsTable ??= buildF16Table());
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]];
  return out;
}

export function bf16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** IEEE binary16 bits, round to nearest even; overflow → ±inf, underflow → ±0 or subnormal,
 *  NaN stays NaN (quiet, sign kept). */
export function float32ToF16(data: Float32Array): Uint16Array {
  const inBits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f32BitsToF16Bits(inBits[i]);
  return out;
}

function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const f32Exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (f32Exponent === 0xff) {
    // inf, or NaN with the top payload bits kept and the quiet bit set so it never becomes inf
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7c00 | 0x200 | (mantissa >>> 13);
  }
  const exponent = f32Exponent - 127 + 15;
  if (exponent >= 0x1f) return sign | 0x7c00; // too large: ±inf
  if (exponent <= 0) {
    // F16 subnormal m·2^-24 with m = (1.mantissa·2^23) >> (14 − exponent); values below
    // half the smallest subnormal (shift > 24) round to ±0.
    const shift = 14 - exponent;
    if (shift > 24) return sign;
    const full = mantissa | 0x800000;
    let m = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (remainder > half || (remainder === half && (m & 1) === 1)) m++; // may carry into the smallest normal: still correct bits
    return sign | m;
  }
  let h = (exponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (h & 1) === 1)) h++; // may carry to inf: correct
  return sign | h;
}
