// Fused DPO / KTO preference loss, forward and backward in one dispatch (docs/architecture.md §4, §5).
// Reference: src/diffusion/preference.ts — the same definitions, step by step.
//
// Samples s = 0 … 2P−1: pair p's winner is s = p, its loser s = P + p. For each sample, over the
// supervised frames (mask weight w_f; 0 for a given first frame):
//   m_θ(s)   = Σ_f w_f Σ_e (policy − target)² / (E_f · Σ_f w_f)      (E_f elements per frame)
//   m_ref(s) = the same with the reference predictions.
// Per pair (Diffusion-DPO eq. 14; Diffusion-KTO):
//   z = −½β [(m_θ(w) − m_ref(w)) − (m_θ(l) − m_ref(l))],   ℓ_DPO = softplus(−z)
//   g = m_ref − m_θ,  z0 = max(0, mean_s g),  ℓ_KTO(s) = λ_s (1 − σ(β s_s (g − z0))),
//   ℓ_KTO(pair) = (ℓ_KTO(w) + ℓ_KTO(l)) / 2
// and the gradient of the chosen objective's per-pair loss w.r.t. the policy predictions:
//   ∂ℓ/∂policy = (∂ℓ/∂m_θ) · 2 w_f (policy − target) / (E_f Σ_f w_f).
//
// One workgroup does it all, so the batch-wide z0 needs no second pass: phase 1 reduces the
// 2 · 2P sums (a tree in workgroup memory per sample), phase 2 computes the per-pair numbers,
// phase 3 writes the gradient. Bandwidth: policy and target are read twice, reference once.
// Workgroup memory: 2 × 256 (tree) + 4 × MAX_SAMPLES (per-sample) floats = 6 KiB.
// Storage buffers: 7 (policy, reference, velocity_target, mask, desirable, stats, grad).

const THREADS: u32 = 256u;
const MAX_SAMPLES: u32 = 256u; // 128 pairs; the host checks

// Columns of `stats` [P, NUM_STATS]; names in src/kernels/preference-loss.ts (PREFERENCE_STATS).
const NUM_STATS: u32 = 10u;

struct Params {
  num_pairs: u32,
  frames: u32,
  frame_elems: u32,
  objective: u32, // 0 DPO, 1 KTO
  beta: f32,
  desirable_weight: f32, // λ_D
  undesirable_weight: f32, // λ_U
}

@group(0) @binding(0) var<storage, read> policy: array<f32>;
@group(0) @binding(1) var<storage, read> reference: array<f32>;
@group(0) @binding(2) var<storage, read> velocity_target: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>; // [2P, F]
@group(0) @binding(4) var<storage, read> desirable: array<f32>; // [2P], 1 or 0
@group(0) @binding(5) var<storage, read_write> stats: array<f32>; // [P, NUM_STATS]
@group(0) @binding(6) var<storage, read_write> grad: array<f32>; // policy's shape
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> tree_policy: array<f32, THREADS>;
var<workgroup> tree_reference: array<f32, THREADS>;
var<workgroup> mse_policy: array<f32, MAX_SAMPLES>;
var<workgroup> mse_reference: array<f32, MAX_SAMPLES>;
var<workgroup> weight_sum: array<f32, MAX_SAMPLES>;
var<workgroup> coefficient: array<f32, MAX_SAMPLES>; // ∂ℓ_pair/∂m_θ(s)

// σ(x), without overflow for large |x|.
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

// softplus(x) = log(1 + eˣ), stable.
fn softplus(x: f32) -> f32 {
  return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}

@compute @workgroup_size(THREADS)
fn main(@builtin(local_invocation_index) lid: u32) {
  let p_count = params.num_pairs;
  let samples = 2u * p_count;
  let f_count = params.frames;
  let fe = params.frame_elems;

  // 1. Per-sample squared-error sums over the supervised frames, policy and reference at once.
  for (var s = 0u; s < samples; s++) {
    var acc_p = 0.0;
    var acc_r = 0.0;
    var w_sum = 0.0;
    for (var f = 0u; f < f_count; f++) {
      let w = mask[s * f_count + f];
      w_sum += w;
      if (w != 0.0) {
        let base = (s * f_count + f) * fe;
        var fp = 0.0;
        var fr = 0.0;
        for (var e = lid; e < fe; e += THREADS) {
          let t = velocity_target[base + e];
          let dp = policy[base + e] - t;
          let dr = reference[base + e] - t;
          fp = fma(dp, dp, fp);
          fr = fma(dr, dr, fr);
        }
        acc_p = fma(w, fp, acc_p);
        acc_r = fma(w, fr, acc_r);
      }
    }
    tree_policy[lid] = acc_p;
    tree_reference[lid] = acc_r;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
      if (lid < stride) {
        tree_policy[lid] += tree_policy[lid + stride];
        tree_reference[lid] += tree_reference[lid + stride];
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      let denominator = f32(fe) * w_sum;
      mse_policy[s] = tree_policy[0] / denominator;
      mse_reference[s] = tree_reference[0] / denominator;
      weight_sum[s] = w_sum;
    }
    workgroupBarrier();
  }

  // 2. Per pair: z, both losses, the coefficients ∂ℓ/∂m_θ. z0 first (every thread, from
  //    workgroup memory: 2P reads).
  var g_sum = 0.0;
  for (var s = 0u; s < samples; s++) {
    g_sum += mse_reference[s] - mse_policy[s];
  }
  let z0 = max(0.0, g_sum / f32(samples));
  let beta = params.beta;
  if (lid < p_count) {
    let w = lid;
    let l = p_count + lid;
    let z = -0.5 * beta * ((mse_policy[w] - mse_reference[w]) - (mse_policy[l] - mse_reference[l]));
    let dpo = softplus(-z);
    // KTO per sample: s = ±1 and λ from the desirability flag.
    var kto = 0.0;
    var kto_coef: array<f32, 2>;
    for (var side = 0u; side < 2u; side++) {
      let s = select(l, w, side == 0u);
      let desired = desirable[s] > 0.5;
      let sgn = select(-1.0, 1.0, desired);
      let lambda = select(params.undesirable_weight, params.desirable_weight, desired);
      let u = beta * sgn * ((mse_reference[s] - mse_policy[s]) - z0);
      let sig = sigmoid(u);
      kto += 0.5 * lambda * (1.0 - sig);
      kto_coef[side] = 0.5 * lambda * sig * (1.0 - sig) * beta * sgn; // ∂(ℓ_KTO(pair))/∂m_θ(s)
    }
    // ∂softplus(−z)/∂m_θ(w) = σ(−z) · ½β, and the opposite for the loser.
    let dpo_coef = 0.5 * beta * sigmoid(-z);
    let is_kto = params.objective == 1u;
    coefficient[w] = select(dpo_coef, kto_coef[0], is_kto);
    coefficient[l] = select(-dpo_coef, kto_coef[1], is_kto);

    let row = lid * NUM_STATS;
    stats[row + 0u] = mse_policy[w];
    stats[row + 1u] = mse_reference[w];
    stats[row + 2u] = mse_policy[l];
    stats[row + 3u] = mse_reference[l];
    stats[row + 4u] = z;
    stats[row + 5u] = dpo;
    stats[row + 6u] = kto;
    stats[row + 7u] = select(dpo, kto, is_kto);
    stats[row + 8u] = select(0.0, 1.0, z > 0.0);
    stats[row + 9u] = z0;
  }
  workgroupBarrier();

  // 3. Gradient w.r.t. the policy predictions; unsupervised frames get exact zeros.
  for (var s = 0u; s < samples; s++) {
    let scale = 2.0 * coefficient[s] / (f32(fe) * weight_sum[s]);
    for (var f = 0u; f < f_count; f++) {
      let c = scale * mask[s * f_count + f];
      let base = (s * f_count + f) * fe;
      for (var e = lid; e < fe; e += THREADS) {
        grad[base + e] = c * (policy[base + e] - velocity_target[base + e]);
      }
    }
  }
}
