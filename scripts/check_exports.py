#!/usr/bin/env python3
"""Check vpo-studio exports the way a Python user's tools will read them.

    python3 scripts/check_exports.py lora    LORA.zip       # peft + diffusers LoRA zip
    python3 scripts/check_exports.py dataset DATASET.zip    # VideoFolder dataset zip

Independent of the TypeScript code that wrote the files: the zip is opened with Python's
zipfile (CRCs checked), safetensors headers are parsed from the format spec with the standard
library, and with the `safetensors` package as well when it is installed (peft and diffusers load
through it). Prints a JSON summary on success; exits 1 with the first problem otherwise.
"""
import json
import re
import struct
import sys
import zipfile

PEFT_WEIGHTS = "adapter_model.safetensors"
PEFT_CONFIG = "adapter_config.json"
DIFFUSERS_WEIGHTS = "pytorch_lora_weights.safetensors"
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8, "U8": 1, "BOOL": 1}
DATASET_FIELDS = [
    "prompt", "video_0_file_name", "video_1_file_name", "label_0", "label_1", "decision",
    "annotator_id", "round", "seed_0", "seed_1", "left_was", "response_ms", "created_at",
    "num_frames", "fps", "width", "height",
]


class CheckError(Exception):
    pass


def require(condition, message):
    if not condition:
        raise CheckError(message)


def open_zip(path):
    archive = zipfile.ZipFile(path)
    bad = archive.testzip()
    require(bad is None, f"{path}: entry {bad!r} fails its CRC check")
    return archive


def parse_safetensors(data, name):
    """(tensors: {key: (dtype, shape, bytes)}, metadata) per the safetensors format spec."""
    require(len(data) >= 8, f"{name}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    require(8 + n <= len(data), f"{name}: header length {n} runs past the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    tensors = {}
    covered = 0
    for key, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        count = 1
        for d in entry["shape"]:
            count *= d
        require(end - begin == count * DTYPE_BYTES[entry["dtype"]], f"{name}: {key} spans {end - begin} bytes for shape {entry['shape']}")
        require(begin == covered, f"{name}: {key} starts at {begin}, expected {covered} (gap or overlap)")
        covered = end
        tensors[key] = (entry["dtype"], entry["shape"], buffer[begin:end])
    require(covered == len(buffer), f"{name}: data buffer has {len(buffer)} bytes, tensors cover {covered}")
    return tensors, metadata


def load_with_package(data, name):
    """Keys and shapes as the safetensors package sees them, or None when it is not installed."""
    try:
        from safetensors.numpy import load
    except ImportError:
        return None
    arrays = load(bytes(data))
    return {k: list(v.shape) for k, v in arrays.items()}


def modules_of(tensors, prefix, name):
    pattern = re.compile(r"^" + re.escape(prefix) + r"(.+)\.lora_([AB])\.weight$")
    modules = {}
    for key, (dtype, shape, _) in tensors.items():
        m = pattern.match(key)
        require(m is not None, f"{name}: unexpected key {key!r} (expected {prefix}<module>.lora_A/B.weight)")
        require(dtype == "F32", f"{name}: {key} is {dtype}, expected F32")
        require(len(shape) == 2, f"{name}: {key} has shape {shape}")
        modules.setdefault(m.group(1), {})[m.group(2)] = shape
    return modules


def check_lora(path):
    archive = open_zip(path)
    names = set(archive.namelist())
    for required in (PEFT_WEIGHTS, PEFT_CONFIG, DIFFUSERS_WEIGHTS, "README.md"):
        require(required in names, f"{path}: {required} is missing (has {sorted(names)})")
    config = json.loads(archive.read(PEFT_CONFIG))
    require(config.get("peft_type") == "LORA", f"{PEFT_CONFIG}: peft_type is {config.get('peft_type')!r}")
    r = config["r"]

    peft_data = archive.read(PEFT_WEIGHTS)
    peft, peft_meta = parse_safetensors(peft_data, PEFT_WEIGHTS)
    diffusers_data = archive.read(DIFFUSERS_WEIGHTS)
    diffusers, diffusers_meta = parse_safetensors(diffusers_data, DIFFUSERS_WEIGHTS)
    require(peft_meta.get("format") == "pt", f"{PEFT_WEIGHTS}: __metadata__.format is {peft_meta.get('format')!r}")
    require(diffusers_meta.get("format") == "pt", f"{DIFFUSERS_WEIGHTS}: __metadata__.format is {diffusers_meta.get('format')!r}")
    adapter_meta = json.loads(diffusers_meta["lora_adapter_metadata"])
    require(adapter_meta.get("transformer.r") == r, f"{DIFFUSERS_WEIGHTS}: lora_adapter_metadata r {adapter_meta.get('transformer.r')} != {r}")

    peft_modules = modules_of(peft, "base_model.model.", PEFT_WEIGHTS)
    diffusers_modules = modules_of(diffusers, "transformer.", DIFFUSERS_WEIGHTS)
    require(peft_modules == diffusers_modules, "peft and diffusers files adapt different modules or shapes")
    for module, parts in peft_modules.items():
        require(set(parts) == {"A", "B"}, f"{module}: has lora_{''.join(parts)} only")
        (rank_a, _in), (_out, rank_b) = parts["A"], parts["B"]
        require(rank_a == r and rank_b == r, f"{module}: lora_A {parts['A']} / lora_B {parts['B']} do not have rank r={r}")
    require(sorted(config["target_modules"]) == sorted(peft_modules), f"{PEFT_CONFIG}: target_modules differ from the weights' modules")
    for key, (_, _, data) in peft.items():
        other = diffusers["transformer." + key[len("base_model.model."):]]
        require(other[2] == data, f"{key}: peft and diffusers values differ")

    for data, name in ((peft_data, PEFT_WEIGHTS), (diffusers_data, DIFFUSERS_WEIGHTS)):
        shapes = load_with_package(data, name)
        if shapes is not None:
            tensors = peft if name == PEFT_WEIGHTS else diffusers
            require(shapes == {k: list(v[1]) for k, v in tensors.items()}, f"{name}: the safetensors package reads other keys or shapes")
    return {
        "kind": "lora", "r": r, "lora_alpha": config["lora_alpha"], "modules": len(peft_modules),
        "rounds": peft_meta.get("rounds"), "safetensors_package": _has_package(),
    }


def _has_package():
    try:
        import safetensors  # noqa: F401
        return True
    except ImportError:
        return False


def check_dataset(path):
    archive = open_zip(path)
    names = set(archive.namelist())
    require("metadata.jsonl" in names, f"{path}: metadata.jsonl is missing")
    lines = archive.read("metadata.jsonl").decode("utf-8").splitlines()
    require(len(lines) > 0, "metadata.jsonl is empty")
    used = set()
    for i, line in enumerate(lines, 1):
        row = json.loads(line)
        require(list(row) == DATASET_FIELDS, f"metadata.jsonl line {i}: fields {list(row)} != {DATASET_FIELDS}")
        pair = (row["label_0"], row["label_1"])
        expected = {"tie": [(0.5, 0.5)], "both-bad": [(0, 0)]}.get(row["decision"], [(1, 0), (0, 1)])
        require(pair in expected, f"metadata.jsonl line {i}: labels {pair} for decision {row['decision']!r}")
        for column in ("video_0_file_name", "video_1_file_name"):
            name = row[column]
            require(name in names, f"metadata.jsonl line {i}: {column} {name!r} is not in the zip")
            used.add(name)
    for name in used:
        head = archive.read(name)[:12]
        require(head[4:8] == b"ftyp", f"{name}: not an MP4 (no ftyp box first)")
    return {"kind": "dataset", "rows": len(lines), "videos": len(used)}


def main(argv):
    if len(argv) != 3 or argv[1] not in ("lora", "dataset"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        summary = check_lora(argv[2]) if argv[1] == "lora" else check_dataset(argv[2])
    except (CheckError, zipfile.BadZipFile, KeyError, ValueError) as e:
        print(f"check_exports: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
