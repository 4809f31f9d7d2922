/**
 * Pipeline specialisation for the WGSL in shaders/. Each shader is a valid WGSL file (the
 * flash-attention ones once `withLibraries` has appended the helpers they share) whose tunables (head dimension, tile sizes, mask kind) are module-scope constants tagged
 * `// @specialize`. A kernel module rewrites those lines per pipeline, so private arrays, tiles in
 * workgroup memory and loops over the head dimension all have compile-time sizes (WGSL's
 * pipeline-overridable constants cannot size private arrays).
 */

/**
 * WGSL has no #include: append shared helper files (e.g. shaders/flash_attention_common.wgsl) to a
 * shader. Module-scope declarations are order-independent in WGSL, and appending keeps the
 * shader's own line numbers in compiler messages.
 */
export function withLibraries(source: string, ...libraries: string[]): string {
  return [source, ...libraries].join('\n');
}

export type Specialization = Readonly<Record<string, number>>;

const SPECIALIZE_LINE = /^const\s+([A-Z_][A-Z0-9_]*)\s*:\s*(u32|i32|f32)\s*=\s*[^;]+;(.*@specialize.*)$/gm;

/** Rewrite the `@specialize` constants of `source`; every key must name one of them. */
export function specialize(source: string, shaderName: string, values: Specialization): string {
  const seen = new Set<string>();
  const code = source.replace(SPECIALIZE_LINE, (line, name: string, type: string, comment: string) => {
    if (!(name in values)) return line;
    seen.add(name);
    const value = values[name];
    if (type !== 'f32' && (!Number.isInteger(value) || (type === 'u32' && value < 0))) {
      throw new Error(`${shaderName}: constant ${name} is ${type}, got ${value}`);
    }
    const literal = type === 'f32' ? `${Number.isInteger(value) ? value.toFixed(1) : value}f` : `${value}${type === 'u32' ? 'u' : 'i'}`;
    return `const ${name}: ${type} = ${literal};${comment}`;
  });
  const missing = Object.keys(values).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(`${shaderName}: no \`// @specialize\` constant named ${missing.join(', ')} in the shader`);
  }
  return code;
}

/** A stable cache key for one specialised pipeline: shader name plus its constants. */
export function pipelineKey(shaderName: string, values: Specialization): string {
  return `${shaderName}(${Object.keys(values).sort().map((k) => `${k}=${values[k]}`).join(',')})`;
}
