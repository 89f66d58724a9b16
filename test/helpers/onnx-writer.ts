// A minimal ONNX writer (protobuf by hand, onnx.proto field numbers) for the tiny models tests and
// scripts/make-pretrained-fixtures.ts build: no Python, no downloads. Writes ModelProto{ir_version 8, opset 13}.

export type ElemType = 'float32' | 'int64' | 'int32';
const ELEM: Record<ElemType, number> = { float32: 1, int32: 6, int64: 7 };

export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array;
}
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | { float: number }>;
}
export interface ValueSpec {
  name: string;
  type: ElemType;
  shape: (number | string)[];
}
export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: Initializer[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset?: number;
}

class Writer {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.parts.push(b);
    } while (x);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.bytes(field, w.done());
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    for (const x of new Uint8Array(Float32Array.of(v).buffer)) this.parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function tensor(t: Initializer): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ELEM[t.type]).str(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(v: ValueSpec): Writer {
  const shape = new Writer();
  for (const d of v.shape) shape.msg(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().str(2, d));
  const tensorType = new Writer().int(1, ELEM[v.type]).msg(2, shape);
  return new Writer().str(1, v.name).msg(2, new Writer().msg(1, tensorType));
}

function node(n: NodeSpec, i: number): Writer {
  const w = new Writer();
  for (const x of n.inputs) w.str(1, x);
  for (const x of n.outputs) w.str(2, x);
  w.str(3, `${n.op.toLowerCase()}_${i}`).str(4, n.op);
  for (const [name, v] of Object.entries(n.attrs ?? {})) {
    const a = new Writer().str(1, name);
    if (typeof v === 'number')
      a.int(3, v).int(20, 2); // INT
    else if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, 7); // INTS
    } else a.float(2, v.float).int(20, 1); // FLOAT
    w.msg(5, a);
  }
  return w;
}

/** The bytes of an ONNX model file for `g`. */
export function writeOnnx(g: GraphSpec): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => graph.msg(1, node(n, i)));
  graph.str(2, g.name);
  for (const t of g.initializers) graph.msg(5, tensor(t));
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  return new Writer()
    .int(1, 8)
    .str(2, 'unir-test')
    .msg(7, graph)
    .msg(8, new Writer().str(1, '').int(2, g.opset ?? 13))
    .done();
}

/** Seeded uniform values in [-1, 1) (mulberry32), for fixture weights. */
export function seededFloats(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

/**
 * A BERT-shaped text encoder of a few nodes: h = tanh((E[input_ids] + Tt[token_type_ids]) · W) ⊙ mask, outputs
 * last_hidden_state (B, T, H) and sentence_embedding = mean over T of h (B, H) (ReduceMean, padding included).
 */
export function textEncoderGraph(
  V: number,
  H: number,
  seed: number,
): { graph: GraphSpec; E: Float32Array; Tt: Float32Array; W: Float32Array } {
  const E = seededFloats(V * H, seed);
  const Tt = seededFloats(2 * H, seed + 1);
  const W = seededFloats(H * H, seed + 2);
  const ids = (name: string): ValueSpec => ({ name, type: 'int64', shape: ['batch', 'sequence'] });
  return {
    E,
    Tt,
    W,
    graph: {
      name: 'tiny-text-encoder',
      inputs: [ids('input_ids'), ids('attention_mask'), ids('token_type_ids')],
      outputs: [
        { name: 'last_hidden_state', type: 'float32', shape: ['batch', 'sequence', H] },
        { name: 'sentence_embedding', type: 'float32', shape: ['batch', H] },
      ],
      initializers: [
        { name: 'E', type: 'float32', dims: [V, H], data: E },
        { name: 'Tt', type: 'float32', dims: [2, H], data: Tt },
        { name: 'W', type: 'float32', dims: [H, H], data: W },
        { name: 'axes', type: 'int64', dims: [1], data: BigInt64Array.of(2n) },
      ],
      nodes: [
        { op: 'Gather', inputs: ['E', 'input_ids'], outputs: ['tok'] },
        { op: 'Gather', inputs: ['Tt', 'token_type_ids'], outputs: ['typ'] },
        { op: 'Add', inputs: ['tok', 'typ'], outputs: ['emb'] },
        { op: 'MatMul', inputs: ['emb', 'W'], outputs: ['pre'] },
        { op: 'Tanh', inputs: ['pre'], outputs: ['act'] },
        { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: 1 } },
        { op: 'Unsqueeze', inputs: ['maskf', 'axes'], outputs: ['mask3'] },
        { op: 'Mul', inputs: ['act', 'mask3'], outputs: ['last_hidden_state'] },
        {
          op: 'ReduceMean',
          inputs: ['last_hidden_state'],
          outputs: ['sentence_embedding'],
          attrs: { axes: [1], keepdims: 0 },
        },
      ],
    },
  };
}

/**
 * An image encoder of a few nodes: pixel_values (B, 3, S, S) NCHW → Flatten → · W (3·S·S, F) + b → Tanh →
 * image_embeds (B, F).
 */
export function imageEncoderGraph(
  S: number,
  F: number,
  seed: number,
): { graph: GraphSpec; W: Float32Array; b: Float32Array } {
  const W = seededFloats(3 * S * S * F, seed).map((x) => x * 0.2);
  const b = seededFloats(F, seed + 1);
  return {
    W,
    b,
    graph: {
      name: 'tiny-image-encoder',
      inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch', 3, S, S] }],
      outputs: [{ name: 'image_embeds', type: 'float32', shape: ['batch', F] }],
      initializers: [
        { name: 'W', type: 'float32', dims: [3 * S * S, F], data: W },
        { name: 'b', type: 'float32', dims: [F], data: b },
      ],
      nodes: [
        { op: 'Flatten', inputs: ['pixel_values'], outputs: ['flat'], attrs: { axis: 1 } },
        { op: 'MatMul', inputs: ['flat', 'W'], outputs: ['xw'] },
        { op: 'Add', inputs: ['xw', 'b'], outputs: ['pre'] },
        { op: 'Tanh', inputs: ['pre'], outputs: ['image_embeds'] },
      ],
    },
  };
}
