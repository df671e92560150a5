import onnxProto from "onnx-proto";
import { ModelError } from "../../../protocols/index.ts";

const { onnx } = onnxProto;

export type OnnxElemType = "float32" | "int32" | "int64";
/** A dimension: a fixed size, or a symbolic name (e.g. "batch") for a size fixed only at run time. */
export type OnnxDim = number | string;
/** An attribute value, tagged because ONNX tells ints from floats and JS does not. */
export type OnnxAttr =
  | { i: number }
  | { f: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string }
  | { strings: string[] };

const ELEM: Record<OnnxElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Opset 17 is the first with LayerNormalization; ReduceMean still takes axes as an attribute there. */
export const DEFAULT_OPSET = 17;

/** Builds one ONNX graph node by node and serialises it as a model. */
export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constCache = new Map<string, string>();

  constructor(readonly name: string) {}

  /** A name not used yet in this graph, derived from `prefix`. */
  fresh(prefix: string): string {
    return uniqueIn(this.used, prefix);
  }

  input(name: string, type: OnnxElemType, dims: OnnxDim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: OnnxElemType, dims: OnnxDim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  initializer(prefix: string, data: Float32Array | Int32Array | BigInt64Array, dims: number[]): string {
    const name = this.fresh(prefix);
    const type: OnnxElemType = data instanceof Float32Array ? "float32" : data instanceof Int32Array ? "int32" : "int64";
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new ModelError(this.name, "export", `initializer ${name}: ${data.length} values for dims [${dims}]`);
    this.inits.push({
      name,
      dataType: ELEM[type],
      dims,
      // raw little-endian bytes; a view would carry the whole underlying buffer if `data` is a slice
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return name;
  }

  /** A shared int64 constant (shapes, axes), created once per distinct value. */
  int64(values: number[]): string {
    const key = values.join(",");
    let name = this.constCache.get(key);
    if (name === undefined) {
      name = this.initializer(`const_i64_${values.length}`, BigInt64Array.from(values.map(BigInt)), [values.length]);
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A shared float scalar constant. */
  float(value: number): string {
    const key = `f:${value}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      name = this.initializer("const_f32", Float32Array.of(value), []);
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Adds a node; returns its output names (fresh names derived from the op unless given). */
  node(op: string, inputs: string[], opts: { outputs?: number | string[]; attrs?: Record<string, OnnxAttr>; name?: string } = {}): string[] {
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs.map((o) => this.claim(o))
      : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(`${opts.name ?? op}_out`));
    this.nodes.push({
      opType: op,
      name: uniqueIn(this.nodeNames, opts.name ?? op),
      input: inputs,
      output: outs,
      attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Single-output shorthand for `node`. */
  op(op: string, inputs: string[], attrs?: Record<string, OnnxAttr>, name?: string): string {
    return this.node(op, inputs, { attrs, ...(name === undefined ? {} : { name }) })[0]!;
  }

  toBytes(opts: { opset?: number; producer?: string; docString?: string } = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: opts.producer ?? "fyp-cluster",
      producerVersion: "1",
      docString: opts.docString ?? "",
      opsetImport: [{ domain: "", version: opts.opset ?? DEFAULT_OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new ModelError(this.name, "export", `value name ${name} is used twice`);
    this.used.add(name);
    return name;
  }
}

function uniqueIn(used: Set<string>, prefix: string): string {
  const base = prefix.replace(/[^A-Za-z0-9_./:-]/g, "_");
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

function valueInfo(name: string, type: OnnxElemType, dims: OnnxDim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("i" in v) return { name, type: T.INT, i: v.i };
  if ("f" in v) return { name, type: T.FLOAT, f: v.f };
  if ("ints" in v) return { name, type: T.INTS, ints: v.ints };
  if ("floats" in v) return { name, type: T.FLOATS, floats: v.floats };
  if ("s" in v) return { name, type: T.STRING, s: new TextEncoder().encode(v.s) };
  return { name, type: T.STRINGS, strings: v.strings.map((s) => new TextEncoder().encode(s)) };
}
