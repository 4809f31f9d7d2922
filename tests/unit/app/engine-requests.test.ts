// Requests to the engine worker as promises: ids, intermediate events, one final event each,
// errors with their kind, and no request left hanging when the worker dies.
import { describe, expect, it } from 'vitest';
import { EngineError, EngineRequests } from '../../../src/app/engine-requests';
import type { EngineEvent } from '../../../src/engine/protocol';
import { FakeEngine } from '../fixtures/app';

describe('EngineRequests', () => {
  it('gives each request its own id, routes progress to it and resolves with its final event', async () => {
    const engine = new FakeEngine();
    const requests = new EngineRequests(engine);
    const progress: [number, number][] = [];
    const ids: number[] = [];
    const [a, b] = await Promise.all([
      requests.request({ type: 'generate', prompt: 'a red circle grows', seed: 1, steps: 2 }, { started: (id) => ids.push(id), onEvent: (e) => e.type === 'progress' && progress.push([e.id, e.done]) }),
      requests.request({ type: 'generate', prompt: 'a red circle grows', seed: 2, steps: 2 }, { started: (id) => ids.push(id) }),
    ]);
    expect(new Set(ids).size).toBe(2);
    expect([a.id, b.id]).toEqual(ids);
    expect(a.data[0]).toBe(1);
    expect(b.data[0]).toBe(2);
    expect(progress).toEqual([[ids[0], 1], [ids[0], 2]]);
  });

  it('an error event rejects with an EngineError that keeps its kind', async () => {
    const engine = new FakeEngine();
    engine.handlers.generate = (r, post) => post({ type: 'error', id: (r as { id: number }).id, kind: 'prompt', message: 'Unknown word "magenta"' });
    const error = await new EngineRequests(engine).request({ type: 'generate', prompt: 'a magenta circle grows', seed: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error.kind).toBe('prompt');
  });

  it('an error without an id (the worker died) fails every pending request and reaches the global listeners', async () => {
    const engine = new FakeEngine();
    const requests = new EngineRequests(engine);
    const global: EngineEvent[] = [];
    requests.onGlobal((e) => global.push(e));
    await expect(requests.request({ type: 'setPolicy', loras: [] })).resolves.toMatchObject({ type: 'policy', round: 0 });
    engine.handlers.setPolicy = () => undefined; // the worker dies before answering
    const stuck = requests.request({ type: 'setPolicy', loras: [] });
    engine.emit({ type: 'error', kind: 'backend', message: 'The engine worker failed' });
    await expect(stuck).rejects.toMatchObject({ kind: 'backend' });
    expect(global).toHaveLength(1);
  });
});
