import { describe, expect, it } from 'vitest';
import {
  SafetensorsError,
  float32ToF16,
  parseSafetensors,
  serializeSafetensors,
  toFloat32,
  topLevelJsonKeys,
  type TensorEntry,
} from '../../../src/io/safetensors';

// ---------------------------------------------------------------------------------------------
// helpers

const encoder = new TextEncoder();

/** A file from a header string and a data buffer, laid out by hand (no serializer involved). */
function fileFrom(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? encoder.encode(header) : header;
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function expectRejected(bytes: Uint8Array, fileName: string, ...fragments: (string | RegExp)[]): SafetensorsError {
  let caught: unknown;
  try {
    parseSafetensors(bytes, fileName);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const error = caught as SafetensorsError;
  expect(error.fileName).toBe(fileName);
  expect(error.message.startsWith(`${fileName}: `)).toBe(true);
  expect(error.message).toContain(' — '); // the "what to do" part
  for (const fragment of fragments) expect(error.message).toMatch(fragment);
  return error;
}

// ---------------------------------------------------------------------------------------------
// the format as other implementations write it

describe('safetensors: files written by other implementations', () => {
  it('parses the example from the Rust safetensors docs (I32 [2,2], unpadded header) to known values', () => {
    // huggingface/safetensors safetensors/src/tensor.rs doc example: `<` = 60-byte header,
    // here with data 1, 2, 3, −4 as little-endian i32 instead of zeros.
    const header = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
    expect(header.length).toBe(60);
    const data = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff];
    const bytes = new Uint8Array([0x3c, 0, 0, 0, 0, 0, 0, 0, ...encoder.encode(header), ...data]);

    const { tensors, metadata } = parseSafetensors(bytes, 'rust-doc.safetensors');
    expect(metadata).toEqual({});
    const test = tensors.get('test')!;
    expect(test.dtype).toBe('I32');
    expect(test.shape).toEqual([2, 2]);
    expect(test.data).toBeInstanceOf(Int32Array);
    expect([...test.data]).toEqual([1, 2, 3, -4]);
  });

  it('parses a hand-built F32/F16/BF16/U8/I64/BOOL file with metadata to known values', () => {
    const header = JSON.stringify({
      __metadata__: { format: 'pt', note: 'hand-built' },
      w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      h: { dtype: 'F16', shape: [2], data_offsets: [8, 12] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [12, 14] },
      u: { dtype: 'U8', shape: [2], data_offsets: [14, 16] },
      i: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
      flag: { dtype: 'BOOL', shape: [], data_offsets: [24, 25] },
    });
    const data = new Uint8Array([
      0x00, 0x00, 0x80, 0x3f, //       F32 1.0
      0x00, 0x00, 0x00, 0xc0, //       F32 −2.0
      0x00, 0x3c, //                   F16 1.0
      0x00, 0xc4, //                   F16 −4.0
      0x49, 0x40, //                   BF16 3.140625 (0x4049)
      0x07, 0xff, //                   U8 7, 255
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // I64 −1
      0x01, //                         BOOL true
    ]);
    const { tensors, metadata } = parseSafetensors(fileFrom(header, data), 'hand.safetensors');
    expect(metadata).toEqual({ format: 'pt', note: 'hand-built' });
    expect([...tensors.get('w')!.data]).toEqual([1, -2]);
    expect([...toFloat32(tensors.get('h')!, 'h', 'hand.safetensors')]).toEqual([1, -4]);
    expect([...toFloat32(tensors.get('b')!, 'b', 'hand.safetensors')]).toEqual([3.140625]);
    expect([...tensors.get('u')!.data]).toEqual([7, 255]);
    expect([...(tensors.get('i')!.data as BigInt64Array)]).toEqual([-1n]);
    expect(tensors.get('flag')!.shape).toEqual([]);
    expect([...tensors.get('flag')!.data]).toEqual([1]);
    // returned in data order
    expect([...tensors.keys()]).toEqual(['w', 'h', 'b', 'u', 'i', 'flag']);
  });

  it('writes the same bytes as candle for one F32 [2,2] tensor (space-padded header)', () => {
    // huggingface/candle candle-core/src/safetensors.rs test save_single_tensor
    const expected = new Uint8Array([
      0x40, 0, 0, 0, 0, 0, 0, 0,
      ...encoder.encode('{"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}       '),
      ...new Array<number>(16).fill(0),
    ]);
    const written = serializeSafetensors({ t: { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) } });
    expect(written).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// round trips

describe('safetensors: round trip', () => {
  const specialF32Bits = [
    0x7fc00000, // quiet NaN
    0x7fa00001, // NaN with payload
    0xffc00000, // negative NaN
    0x80000000, // −0
    0x00000001, // smallest denormal
    0x807fffff, // largest negative denormal
    0x7f800000, // +inf
    0xff800000, // −inf
    0x3f800000, // 1
    0x7f7fffff, // max finite
  ];

  it('is bit-exact for F32 (NaN payloads, −0, denormals, inf), I32, U8, F16, BF16, I64, BOOL', () => {
    const tensors: Record<string, TensorEntry> = {
      f32: { dtype: 'F32', shape: [2, 5], data: f32FromBits(specialF32Bits) },
      i32: { dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
      u8: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
      f16: { dtype: 'F16', shape: [6], data: new Uint16Array([0x7e00, 0x7c01, 0x8000, 0x0001, 0x03ff, 0xfbff]) },
      bf16: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xffc1]) },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      mask: { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) },
      empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([0.5]) },
    };
    const { tensors: back } = parseSafetensors(serializeSafetensors(tensors), 'rt.safetensors');
    expect(new Set(back.keys())).toEqual(new Set(Object.keys(tensors)));
    for (const [name, entry] of Object.entries(tensors)) {
      const parsed = back.get(name)!;
      expect(parsed.dtype, name).toBe(entry.dtype);
      expect(parsed.shape, name).toEqual(entry.shape);
      expect(parsed.data.constructor, name).toBe(entry.data.constructor);
      expect(bytesOf(parsed.data), name).toEqual(bytesOf(entry.data));
    }
  });

  it('accepts a Map and keeps metadata', () => {
    const metadata = { format: 'pt', config: JSON.stringify({ frames: 4, height: 16 }), 'ünïcødé': '✓ "quoted"' };
    const map = new Map<string, TensorEntry>([['a.weight', { dtype: 'F32', shape: [1], data: new Float32Array([3]) }]]);
    const parsed = parseSafetensors(serializeSafetensors(map, metadata), 'meta.safetensors');
    expect(parsed.metadata).toEqual(metadata);
    expect([...parsed.tensors.get('a.weight')!.data]).toEqual([3]);
  });

  it('pads the header with spaces so the data starts 8-byte aligned, and aligns every tensor', () => {
    for (let nameLength = 1; nameLength <= 16; nameLength++) {
      const tensors: Record<string, TensorEntry> = {
        ['u'.repeat(nameLength)]: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        f: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        l: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
        h: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
      };
      const bytes = serializeSafetensors(tensors);
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(headerText).toMatch(/^\{.*\} *$/);
      const header = JSON.parse(headerText) as Record<string, { dtype: string; data_offsets: [number, number] }>;
      for (const { dtype, data_offsets } of Object.values(header)) {
        const size = { F32: 4, I64: 8, F16: 2, U8: 1 }[dtype]!;
        expect(data_offsets[0] % size).toBe(0);
      }
      // aligned data is returned as views into the file, not copies
      const parsed = parseSafetensors(bytes, 'aligned.safetensors');
      expect(parsed.tensors.get('l')!.data.buffer).toBe(bytes.buffer);
    }
  });

  it('reads tensors at unaligned offsets (by copying) and inside a larger buffer', () => {
    const header = JSON.stringify({
      byte: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      f: { dtype: 'F32', shape: [2], data_offsets: [1, 9] },
      l: { dtype: 'I64', shape: [1], data_offsets: [9, 17] },
    });
    const data = new Uint8Array(17);
    data[0] = 9;
    new DataView(data.buffer).setFloat32(1, 1.5, true);
    new DataView(data.buffer).setFloat32(5, -0.25, true);
    new DataView(data.buffer).setBigInt64(9, -7n, true);
    const file = fileFrom(header, data);
    // embed at an odd offset of a bigger buffer, as a slice of a fetched archive would be
    const outer = new Uint8Array(file.length + 3);
    outer.set(file, 3);
    const { tensors } = parseSafetensors(outer.subarray(3), 'odd.safetensors');
    expect([...tensors.get('byte')!.data]).toEqual([9]);
    expect([...tensors.get('f')!.data]).toEqual([1.5, -0.25]);
    expect([...(tensors.get('l')!.data as BigInt64Array)]).toEqual([-7n]);
  });

  it('allows empty tensors anywhere, including inside another tensor’s range', () => {
    const header = JSON.stringify({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    });
    const { tensors } = parseSafetensors(fileFrom(header, new Uint8Array(12)), 'empty.safetensors');
    expect(tensors.get('e')!.data.length).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// rejections

describe('safetensors: rejects malformed files with a message a person can act on', () => {
  const f32x2 = (offsets: unknown, shape: unknown = [2], dtype: unknown = 'F32') =>
    JSON.stringify({ weight: { dtype, shape, data_offsets: offsets } });

  it('file shorter than 8 bytes', () => {
    expectRejected(new Uint8Array(5), 'short.safetensors', /5 bytes/, /not a safetensors file/);
  });

  it('header length larger than the file', () => {
    const bytes = fileFrom('{}', new Uint8Array(0), 1000n);
    expectRejected(bytes, 'long.safetensors', /header length 1000/, /not a safetensors file/);
    // a u64 beyond 2^53 must not wrap around
    expectRejected(fileFrom('{}', new Uint8Array(0), 2n ** 64n - 1n), 'huge.safetensors', /not a safetensors file/);
  });

  it('header not valid UTF-8', () => {
    expectRejected(fileFrom(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 'utf8.safetensors', /UTF-8/, /not a safetensors file/);
  });

  it('header not JSON', () => {
    expectRejected(fileFrom('{"weight": '), 'json.safetensors', /not valid JSON/, /not a safetensors file/);
    // a PNG or a zip renamed to .safetensors
    expectRejected(new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0]), 'zip.safetensors', /not a safetensors file/);
  });

  it('header JSON not an object', () => {
    expectRejected(fileFrom('[1, 2]'), 'array.safetensors', /an array/, /not a safetensors file/);
    expectRejected(fileFrom('null'), 'null.safetensors', /null/);
    expectRejected(fileFrom('"text"'), 'string.safetensors', /string/);
  });

  it('tensor entry not an object', () => {
    expectRejected(fileFrom('{"weight": 3}'), 'entry.safetensors', /tensor "weight"/, /re-export the file/);
  });

  it('unknown dtype', () => {
    const error = expectRejected(
      fileFrom(f32x2([0, 16], [2], 'F64'), new Uint8Array(16)),
      'f64.safetensors',
      /tensor "weight"/,
      /unknown dtype "F64"/,
      /re-export the file/,
    );
    expect(error.message).toContain('F32, F16, BF16');
    const noDtype = JSON.stringify({ weight: { shape: [2], data_offsets: [0, 8] } });
    expectRejected(fileFrom(noDtype, new Uint8Array(8)), 'nodtype.safetensors', /unknown dtype undefined/);
  });

  it('shape not an array of non-negative integers', () => {
    for (const shape of [[-2], [1.5], ['2'], 2, null, [2 ** 60]]) {
      expectRejected(fileFrom(f32x2([0, 8], shape), new Uint8Array(8)), 'shape.safetensors', /tensor "weight" shape/, /non-negative integers/, /re-export the file/);
    }
  });

  it('data_offsets malformed or out of range', () => {
    expectRejected(fileFrom(f32x2([0]), new Uint8Array(8)), 'offsets.safetensors', /tensor "weight" data_offsets/, /pair/);
    expectRejected(fileFrom(f32x2([-8, 0]), new Uint8Array(8)), 'offsets.safetensors', /tensor "weight"/);
    expectRejected(fileFrom(f32x2([8, 0]), new Uint8Array(8)), 'reversed.safetensors', /tensor "weight" data_offsets \[8, 0\] are out of range/);
    expectRejected(fileFrom(f32x2([0, 8]), new Uint8Array(4)), 'truncated.safetensors', /out of range: the data buffer holds 4 bytes/, /re-export/);
  });

  it('data_offsets span ≠ product(shape) · bytes per element', () => {
    expectRejected(fileFrom(f32x2([0, 12]), new Uint8Array(12)), 'span.safetensors', /tensor "weight"/, /span 12 bytes/, /needs 8/, /re-export the file/);
  });

  it('overlapping tensors', () => {
    const header = JSON.stringify({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    expectRejected(fileFrom(header, new Uint8Array(12)), 'overlap.safetensors', /tensor "b"/, /overlap tensor "a"/, /re-export the file/);
  });

  it('metadata values not strings, or metadata not an object', () => {
    const numeric = JSON.stringify({ __metadata__: { format: 'pt', step: 3 } });
    expectRejected(fileFrom(numeric), 'meta.safetensors', /"step"/, /must be strings/, /re-export/);
    expectRejected(fileFrom(JSON.stringify({ __metadata__: ['pt'] })), 'meta.safetensors', /__metadata__/);
  });

  it('writing rejects data that does not match dtype or shape', () => {
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/tensor "w" has 2 elements but shape \[3\] needs 3/);
    expect(() => serializeSafetensors({ w: { dtype: 'F16', shape: [1], data: new Float32Array(1) } })).toThrow(/F16 but its data is a Float32Array/);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(SafetensorsError);
  });
});

// ---------------------------------------------------------------------------------------------
// float conversions

describe('safetensors: F16 / BF16 conversion', () => {
  const toF16 = (values: number[]) => [...float32ToF16(new Float32Array(values))];

  it('encodes known values', () => {
    expect(toF16([1, -2, 0.5, 65504, -65504])).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0xfbff]);
    expect(toF16([0, -0])).toEqual([0x0000, 0x8000]);
    expect(toF16([Infinity, -Infinity])).toEqual([0x7c00, 0xfc00]);
    expect(toF16([2 ** -14])).toEqual([0x0400]); //                  smallest normal
    expect(toF16([2 ** -24, 3 * 2 ** -24, 1023 * 2 ** -24])).toEqual([0x0001, 0x0003, 0x03ff]); // subnormals
  });

  it('rounds to nearest even, overflows to inf, underflows to zero', () => {
    expect(toF16([1 + 2 ** -11])).toEqual([0x3c00]); //               halfway, tie to even (down)
    expect(toF16([1 + 3 * 2 ** -11])).toEqual([0x3c02]); //           halfway, tie to even (up)
    expect(toF16([1 + 2 ** -11 + 2 ** -20])).toEqual([0x3c01]); //   just above halfway
    expect(toF16([65520, 1e6, -1e6])).toEqual([0x7c00, 0x7c00, 0xfc00]); // 65520 rounds up to inf
    expect(toF16([65519])).toEqual([0x7bff]);
    expect(toF16([2 ** -25])).toEqual([0x0000]); //                  half the smallest subnormal: tie to even 0
    expect(toF16([2 ** -25 + 2 ** -40])).toEqual([0x0001]);
    expect(toF16([-(2 ** -26), 1e-45])).toEqual([0x8000, 0x0000]);
    expect(toF16([(2 ** -14) * (1 - 2 ** -12)])).toEqual([0x0400]); // rounds up out of the subnormal range
  });

  it('keeps NaN as NaN', () => {
    const [h] = float32ToF16(f32FromBits([0x7f800001])); // signalling NaN with a low payload bit
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(Number.isNaN(toFloat32({ dtype: 'F16', shape: [1], data: new Uint16Array([h]) }, 'x', 'f')[0])).toBe(true);
  });

  it('decodes every finite F16 and re-encodes it to the same bits', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = toFloat32({ dtype: 'F16', shape: [65536], data: all }, 'all', 'all.safetensors');
    expect(decoded[0x3c00]).toBe(1);
    expect(decoded[0x7bff]).toBe(65504);
    expect(decoded[0x0001]).toBe(2 ** -24);
    expect(decoded[0x8001]).toBe(-(2 ** -24));
    expect(decoded[0x03ff]).toBe(1023 * 2 ** -24);
    expect(decoded[0x7c00]).toBe(Infinity);
    expect(Object.is(decoded[0x8000], -0)).toBe(true);
    const reencoded = float32ToF16(decoded);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) continue;
      if (reencoded[h] !== h) throw new Error(`F16 0x${h.toString(16)} re-encoded as 0x${reencoded[h].toString(16)}`);
    }
  });

  it('decodes BF16 as the top half of F32', () => {
    const decoded = toFloat32({ dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc040, 0x7f80]) }, 'b', 'f');
    expect([...decoded]).toEqual([1, -3, Infinity]);
  });

  it('returns F32 as stored and refuses non-float dtypes naming the tensor and file', () => {
    const data = new Float32Array([1, 2]);
    expect(toFloat32({ dtype: 'F32', shape: [2], data }, 'w', 'f')).toBe(data);
    expect(() => toFloat32({ dtype: 'I32', shape: [1], data: new Int32Array(1) }, 'blocks.0.w', 'model.safetensors')).toThrow(
      /^model\.safetensors: tensor "blocks\.0\.w" has dtype I32, expected a floating-point tensor/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// the byte buffer is fully indexed, and every key is named once

describe('safetensors: no holes in the data buffer, no key twice', () => {
  const two = (a: [number, number], b: [number, number]) =>
    JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: a }, b: { dtype: 'F32', shape: [1], data_offsets: b } });

  it('refuses a gap between two tensors, naming both and the size of the hole', () => {
    expectRejected(fileFrom(two([0, 4], [8, 12]), new Uint8Array(12)), 'gap.safetensors', /4 bytes after tensor "a"/, /tensor "b" starts at 8/, /no holes/, /re-export/);
  });

  it('refuses bytes before the first tensor and after the last one', () => {
    expectRejected(fileFrom(two([4, 8], [8, 12]), new Uint8Array(12)), 'head.safetensors', /4 bytes at the start of the data buffer/, /tensor "a" starts at 4/);
    expectRejected(fileFrom(two([0, 4], [4, 8]), new Uint8Array(12)), 'tail.safetensors', /4 bytes after the last tensor "b"/);
    expectRejected(fileFrom('{}', new Uint8Array(3)), 'notensor.safetensors', /3 bytes with no non-empty tensor/);
  });

  it('accepts tensors that tile the buffer in any header order', () => {
    const { tensors } = parseSafetensors(fileFrom(two([4, 8], [0, 4]), new Uint8Array(8)), 'ok.safetensors');
    expect([...tensors.keys()].sort()).toEqual(['a', 'b']);
  });

  it('refuses a header that names a tensor (or __metadata__) twice', () => {
    const header = '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}';
    expectRejected(fileFrom(header, new Uint8Array(4)), 'dup.safetensors', /names "w" twice/, /re-export/);
    const meta = '{"__metadata__": {"a": "1"}, "__metadata__": {"a": "2"}}';
    expectRejected(fileFrom(meta), 'meta2.safetensors', /names "__metadata__" twice/);
    // the same name inside nested objects, or escaped differently but equal, is still caught
    const escaped = '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "\\u0077": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}';
    expectRejected(fileFrom(escaped, new Uint8Array(4)), 'esc.safetensors', /names "w" twice/);
  });

  it('topLevelJsonKeys keeps repeats and skips nested keys and string values with quotes', () => {
    expect(topLevelJsonKeys('{"a": {"a": 1, "b": [{"c": 2}]}, "b\\"q": "x,\\"y", "a": null}')).toEqual(['a', 'b"q', 'a']);
    expect(topLevelJsonKeys('{}')).toEqual([]);
  });
});
