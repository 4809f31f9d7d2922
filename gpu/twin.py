"""The PyTorch twin of the video DiT in src/model/dit.ts, for pretraining on a GPU machine.

The forward pass is written once against a small array interface (`Ops`) with two back ends:
NumPy (float32, CPU: the parity test that runs in `npm test`, tests/unit/gpu-twin.test.ts) and
PyTorch (the GPU trainer, gpu/train.py, with autograd). What is not the forward pass comes from
the TypeScript sources through the bundled batch server (`node gpu/build/batches.mjs --model-info`):
the parameter inventory with its initialisers and the fixed sin-cos position codes. Checkpoints are
the studio's safetensors (PyTorch layout, Linear weight [out, in], config in __metadata__), so a
file written here loads in the studio and in `npm run eval` unchanged.
"""
import json
import math
import os
import struct

import numpy as np

PAD_ID = 0
PREDICTION_T_MIN = 0.05


# ------------------------------------------------------------------------------------------ ops

class NumpyOps:
    name = 'numpy'

    def __init__(self):
        self.xp = np

    def tensor(self, a):
        return np.asarray(a)

    def transpose(self, x, axes):
        return np.transpose(x, axes)

    def softmax(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def sigmoid(self, x):
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|

    def concat(self, xs, axis):
        return np.concatenate(xs, axis=axis)

    def one_hot_rows(self, table, ids):
        return table[ids]

    def maximum(self, x, v):
        return np.maximum(x, np.float32(v))

    def cos(self, x):
        return np.cos(x)

    def sin(self, x):
        return np.sin(x)

    def to_float(self, x):
        return x.astype(np.float32)


class TorchOps:
    name = 'torch'

    def __init__(self, device):
        import torch
        self.torch = torch
        self.device = device

    def tensor(self, a):
        a = np.asarray(a)
        return self.torch.as_tensor(a if a.flags.writeable else a.copy(), device=self.device)

    def transpose(self, x, axes):
        return x.permute(*axes)

    def softmax(self, x):
        return self.torch.softmax(x, dim=-1)

    def sigmoid(self, x):
        return self.torch.sigmoid(x)

    def concat(self, xs, axis):
        return self.torch.cat(xs, dim=axis)

    def one_hot_rows(self, table, ids):
        return table[ids.long()]

    def maximum(self, x, v):
        return self.torch.clamp(x, min=v)

    def cos(self, x):
        return self.torch.cos(x)

    def sin(self, x):
        return self.torch.sin(x)

    def to_float(self, x):
        return x.float()


# ------------------------------------------------------------------------------------ layers

def linear(P, name, x):
    return x @ P[f'{name}.weight'].T + P[f'{name}.bias']


def _mean_last(x):
    return x.mean(-1, keepdims=True) if isinstance(x, np.ndarray) else x.mean(-1, keepdim=True)


def layer_norm(x, P=None, name=None, eps=1e-5):
    c = x - _mean_last(x)
    y = c / ((_mean_last(c * c) + eps) ** 0.5)
    if P is not None:
        y = y * P[f'{name}.weight'] + P[f'{name}.bias']
    return y


class Model:
    """The DiT's forward pass on one back end. `info` is the batch server's --model-info JSON."""

    def __init__(self, ops, config, info):
        self.ops = ops
        self.c = config
        codes = info['codes']
        w = config['hiddenSize']
        n = (config['height'] // config['patchSize']) * (config['width'] // config['patchSize'])
        self.fixed_spatial = ops.tensor(np.asarray(codes['spatial'], np.float32).reshape(n, w))
        self.fixed_frames = ops.tensor(np.asarray(codes['frames'], np.float32).reshape(config['frames'], w))
        if config.get('refiner'):
            raise ValueError('this checkpoint has a refiner, which this studio no longer supports')

    # -- helpers
    def gelu(self, x):
        return x * self.ops.sigmoid(1.702 * x)

    def silu(self, x):
        return x * self.ops.sigmoid(x)

    def timestep_features(self, t, dim, max_period=10000.0):
        half = dim // 2
        freqs = self.ops.tensor(np.exp(np.arange(half, dtype=np.float32) * np.float32(-math.log(max_period) / half)).astype(np.float32))
        args = (t * 1000.0).reshape(-1, 1) * freqs.reshape(1, -1)
        return self.ops.concat([self.ops.cos(args), self.ops.sin(args)], 1)

    def attention(self, q, k, v, kind, tokens_per_frame=0):
        """q [B, H, Lq, D], k/v [B, H, Lk, D]; masks as in src/model/attention.ts."""
        T = self.ops.transpose
        b, h, lq, d = q.shape
        lk = k.shape[2]
        scale = 1.0 / math.sqrt(d)

        def sdpa(q3, k3, v3, bias=None):
            s = (q3 @ T(k3, (0, 2, 1))) * scale
            if bias is not None:
                s = s + bias
            return self.ops.softmax(s) @ v3

        if kind in ('full', 'causal'):
            bias = None
            if kind == 'causal':
                m = np.zeros((lq, lk), np.float32)
                for i in range(lq):
                    for j in range(lk):
                        if j > i + (lk - lq):
                            m[i, j] = -1e9
                bias = self.ops.tensor(m)
            return sdpa(q.reshape(b * h, lq, d), k.reshape(b * h, lk, d), v.reshape(b * h, lk, d), bias).reshape(b, h, lq, d)
        n = tokens_per_frame
        f = lq // n
        if kind == 'frame':
            return sdpa(q.reshape(b * h * f, n, d), k.reshape(b * h * f, n, d), v.reshape(b * h * f, n, d)).reshape(b, h, lq, d)
        # sparse-causal: frame i sees frames 0 and i−1 (frame 0 sees frame 0 twice, as the reference does).
        def gather(x):
            x = x.reshape(b * h, f, n, d)
            first = self.ops.concat([x[:, 0:1]] * f, 1)
            prev = self.ops.concat([x[:, 0:1], x[:, 0:f - 1]], 1) if f > 1 else first
            return self.ops.concat([first, prev], 2).reshape(b * h * f, 2 * n, d)
        return sdpa(q.reshape(b * h * f, n, d), gather(k), gather(v)).reshape(b, h, lq, d)

    def split_heads(self, x, b, l, heads):
        d = x.shape[1] // heads
        return self.ops.transpose(x.reshape(b, l, heads, d), (0, 2, 1, 3))

    def merge_heads(self, x):
        b, h, l, d = x.shape
        return self.ops.transpose(x, (0, 2, 1, 3)).reshape(b * l, h * d)

    # -- text
    def encode_text(self, P, ids):
        c = self.c
        b, lt = ids.shape
        wt = c['textHiddenSize']
        tokens = self.ops.one_hot_rows(P['text_encoder.token_embedding.weight'], ids)  # [B, Lt, wt]
        h = (tokens + P['text_encoder.position_embedding.weight']).reshape(b * lt, wt)
        for j in range(c['textLayers']):
            p = f'text_encoder.layers.{j}'
            x = layer_norm(h, P, f'{p}.layer_norm1')
            q = self.split_heads(linear(P, f'{p}.self_attn.q_proj', x), b, lt, c['textHeads'])
            k = self.split_heads(linear(P, f'{p}.self_attn.k_proj', x), b, lt, c['textHeads'])
            v = self.split_heads(linear(P, f'{p}.self_attn.v_proj', x), b, lt, c['textHeads'])
            h = h + linear(P, f'{p}.self_attn.out_proj', self.merge_heads(self.attention(q, k, v, 'full')))
            y = layer_norm(h, P, f'{p}.layer_norm2')
            h = h + linear(P, f'{p}.mlp.fc2', self.gelu(linear(P, f'{p}.mlp.fc1', y)))
        h = layer_norm(h, P, 'text_encoder.final_layer_norm')
        mask = self.ops.to_float(ids != PAD_ID).reshape(b, lt, 1)
        pooled = (h.reshape(b, lt, wt) * mask).sum(1) / mask.sum(1)
        return linear(P, 'context_proj', h), linear(P, 'pooled_text_proj', pooled)

    # -- blocks
    @staticmethod
    def modulate(x, shift, scale, d):
        b, f, n, w = d
        return (x.reshape(b * f, n, w) * (1 + scale) + shift).reshape(b * f * n, w)

    def ada_block(self, P, name, h, cond, d, sublayers):
        b, f, n, w = d
        k = len(sublayers)
        mods = linear(P, f'{name}.norm.linear', cond).reshape(b * f, 3 * k, w)
        for i, fn in enumerate(sublayers):
            shift, scale, gate = mods[:, 3 * i:3 * i + 1], mods[:, 3 * i + 1:3 * i + 2], mods[:, 3 * i + 2:3 * i + 3]
            y = fn(self.modulate(layer_norm(h), shift, scale, d))
            h = h + (y.reshape(b * f, n, w) * gate).reshape(b * f * n, w)
        return h

    def output_layer(self, P, h, cond, d):
        b, f, n, w = d
        mods = linear(P, 'norm_out.linear', cond).reshape(b * f, 2, w)
        return linear(P, 'proj_out', self.modulate(layer_norm(h), mods[:, 0:1], mods[:, 1:2], d))

    def spatial_attention(self, P, name, x, d, heads, mode):
        b, f, n, w = d
        hd = w // heads
        T = self.ops.transpose

        def to_heads(t):
            return T(t.reshape(b, f, n, heads, hd), (0, 3, 1, 2, 4)).reshape(b, heads, f * n, hd)
        o = self.attention(to_heads(linear(P, f'{name}.to_q', x)), to_heads(linear(P, f'{name}.to_k', x)),
                           to_heads(linear(P, f'{name}.to_v', x)), mode, n)
        return linear(P, f'{name}.to_out', T(o.reshape(b, heads, f, n, hd), (0, 2, 3, 1, 4)).reshape(b * f * n, w))

    def temporal_attention(self, P, name, x, d, heads, mode):
        b, f, n, w = d
        hd = w // heads
        T = self.ops.transpose

        def to_heads(t):
            return T(t.reshape(b, f, n, heads, hd), (0, 2, 3, 1, 4)).reshape(b * n, heads, f, hd)
        o = self.attention(to_heads(linear(P, f'{name}.to_q', x)), to_heads(linear(P, f'{name}.to_k', x)),
                           to_heads(linear(P, f'{name}.to_v', x)), 'causal' if mode == 'causal' else 'full')
        return linear(P, f'{name}.to_out', T(o.reshape(b, n, heads, f, hd), (0, 3, 1, 2, 4)).reshape(b * f * n, w))

    def cross_attention(self, P, name, x, context, d, heads):
        b, f, n, w = d
        lt = self.c['maxTextLength']
        q = self.split_heads(linear(P, f'{name}.to_q', x), b, f * n, heads)
        k = self.split_heads(linear(P, f'{name}.to_k', context), b, lt, heads)
        v = self.split_heads(linear(P, f'{name}.to_v', context), b, lt, heads)
        return linear(P, f'{name}.to_out', self.merge_heads(self.attention(q, k, v, 'full')))

    def mlp(self, P, name, x):
        return linear(P, f'{name}.fc2', self.gelu(linear(P, f'{name}.fc1', x)))

    # -- patches
    def patchify(self, x, p):
        b, f, hgt, wid, c = x.shape
        hp, wp = hgt // p, wid // p
        return self.ops.transpose(x.reshape(b * f * hp, p, wp, p * c), (0, 2, 1, 3)).reshape(b * f * hp * wp, p * p * c)

    def unpatchify(self, tokens, shape, p):
        b, f, hgt, wid, c = shape
        hp, wp = hgt // p, wid // p
        return self.ops.transpose(tokens.reshape(b * f * hp, wp, p, p * c), (0, 2, 1, 3)).reshape(*shape)

    # -- model
    def forward(self, P, x, t, ids, spatial_mode=None):
        """Velocity v = ε − x0 for x [B, F, H, W, 3], per-frame t [B, F], ids [B, Lt]."""
        c = self.c
        b, f, hgt, wid, ch = x.shape
        p = c['patchSize']
        n = (hgt // p) * (wid // p)
        w = c['hiddenSize']
        d = (b, f, n, w)
        mode = spatial_mode or c['spatialAttention']
        context, pooled = self.encode_text(P, ids)
        t_emb = linear(P, 'time_embed.linear_2', self.silu(linear(P, 'time_embed.linear_1', self.timestep_features(t.reshape(b * f), c['timestepFeatures']))))
        pooled_per_frame = self.ops.concat([pooled.reshape(b, 1, w)] * f, 1).reshape(b * f, w)
        cond = self.silu(t_emb + pooled_per_frame)
        h = linear(P, 'patch_embed.proj', self.patchify(x, p))
        spatial_pos = P['pos_embed'] + self.fixed_spatial
        frame_pos = P['frame_embed'] + self.fixed_frames
        h = (h.reshape(b, f, n, w) + spatial_pos.reshape(1, 1, n, w) + frame_pos.reshape(1, f, 1, w)).reshape(b * f * n, w)
        heads = c['numHeads']
        for i in range(c['numLayers']):
            pre = f'transformer_blocks.{i}'
            h = self.ada_block(P, pre, h, cond, d, [
                lambda x, pre=pre: self.spatial_attention(P, f'{pre}.attn_spatial', x, d, heads, mode),
                lambda x, pre=pre: self.temporal_attention(P, f'{pre}.attn_temporal', x, d, heads, c['temporalAttention']),
                lambda x, pre=pre: self.cross_attention(P, f'{pre}.attn_cross', x, context, d, heads),
                lambda x, pre=pre: self.mlp(P, f'{pre}.ff', x),
            ])
        head = self.unpatchify(self.output_layer(P, h, cond, d), (b, f, hgt, wid, ch), p)
        if c['prediction'] == 'velocity':
            return head
        return (x - head) / self.ops.maximum(t, PREDICTION_T_MIN).reshape(b, f, 1, 1, 1)


def frame_times(ops, t, frames, first_frame):
    """Per-frame time [B, F]: t for every frame, 0 for frame 0 of first-frame samples (flow.ts)."""
    tt = np.repeat(np.asarray(t, np.float32).reshape(-1, 1), frames, 1)
    tt[np.asarray(first_frame, bool), 0] = 0
    return ops.tensor(tt)


def supervised_frames(ops, batch, frames, first_frame):
    m = np.ones((batch, frames), np.float32)
    m[np.asarray(first_frame, bool), 0] = 0
    return ops.tensor(m)


def flow_loss(model, P, x0, eps, t, first_frame, ids):
    """Rectified-flow loss of src/diffusion/flow.ts flowMatchingLoss (mean over the batch)."""
    b, f = x0.shape[0], x0.shape[1]
    tf_ = frame_times(model.ops, t, f, first_frame)
    tt = tf_.reshape(b, f, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * eps
    pred = model.forward(P, xt, tf_, ids)
    sq = (pred - (eps - x0)) ** 2
    per_frame = sq.reshape(b, f, -1).mean(-1)
    mask = supervised_frames(model.ops, b, f, first_frame)
    return ((per_frame * mask).sum(1) / mask.sum(1)).mean()


# ------------------------------------------------------------------------------- safetensors

_DTYPES = {'F32': np.float32, 'I32': np.int32, 'U8': np.uint8, 'F16': np.float16}


def read_safetensors(path):
    with open(path, 'rb') as fh:
        data = fh.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, e in header.items():
        a, z = e['data_offsets']
        out[name] = np.frombuffer(data[8 + n + a:8 + n + z], dtype=_DTYPES[e['dtype']]).reshape(e['shape'])
    return out, meta


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    inverse = {v: k for k, v in _DTYPES.items()}
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        header[name] = {'dtype': inverse[a.dtype.type], 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    tmp = f'{path}.tmp'
    with open(tmp, 'wb') as fh:
        fh.write(struct.pack('<Q', len(head)))
        fh.write(head)
        for blob in blobs:
            fh.write(blob)
    os.replace(tmp, path)


def save_checkpoint(path, config, params, meta):
    """A studio checkpoint: F32 tensors in PyTorch layout, the config in __metadata__ (src/model/checkpoint.ts)."""
    tensors = {k: (v.detach().float().cpu().numpy() if hasattr(v, 'detach') else np.asarray(v, np.float32)) for k, v in params.items()}
    write_safetensors(path, tensors, {**meta, 'format': 'pt', 'config': json.dumps(config, separators=(',', ':'))})


if __name__ == '__main__':
    # python3 gpu/twin.py --resave FIXTURE OUT: the fixture's parameters as a studio checkpoint (tests).
    import sys
    if len(sys.argv) != 4 or sys.argv[1] != '--resave':
        sys.exit('usage: python3 gpu/twin.py --resave FIXTURE OUT')
    else:
        t, m = read_safetensors(sys.argv[2])
        save_checkpoint(sys.argv[3], json.loads(m['config']), {k: v for k, v in t.items() if not k.startswith(('input.', 'expected.'))}, {'step': '0'})
