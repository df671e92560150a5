import { ConfigError } from "../protocols/index.ts";

/** A validator for one config value: checks it, names field/value/rule on failure, and parses env strings. */
export interface Spec<T> {
  readonly validate: (value: unknown, path: string) => T;
  /** Turns an environment-variable string into a value of this spec's type (then `validate` runs). */
  readonly fromString: (s: string, path: string) => unknown;
  /** One-line rule, shown in errors and `fyp config --schema`. */
  readonly rule: string;
  readonly fields?: Record<string, Spec<unknown>>;
}
export type Infer<S> = S extends Spec<infer T> ? T : never;

function numberFromString(s: string): unknown {
  const n = Number(s);
  return s.trim() === "" || Number.isNaN(n) ? s : n;
}

export function int(min: number, max: number): Spec<number> {
  const rule = `an integer in [${min}, ${max}]`;
  return {
    rule,
    fromString: numberFromString,
    validate(v, path) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(path, v, `must be ${rule}`);
      return v;
    },
  };
}

export function num(min: number, max: number): Spec<number> {
  const rule = `a number in [${min}, ${max}]`;
  return {
    rule,
    fromString: numberFromString,
    validate(v, path) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(path, v, `must be ${rule}`);
      return v;
    },
  };
}

export function str(opts: { pattern?: RegExp; minLength?: number; maxLength?: number } = {}): Spec<string> {
  const { pattern, minLength = 0, maxLength = 4096 } = opts;
  const rule = pattern ? `a string matching ${pattern}` : `a string of ${minLength}..${maxLength} characters`;
  return {
    rule,
    fromString: (s) => s,
    validate(v, path) {
      if (typeof v !== "string" || v.length < minLength || v.length > maxLength || (pattern && !pattern.test(v))) {
        throw new ConfigError(path, v, `must be ${rule}`);
      }
      return v;
    },
  };
}

export function oneOf<const T extends readonly string[]>(...values: T): Spec<T[number]> {
  const rule = `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`;
  return {
    rule,
    fromString: (s) => s,
    validate(v, path) {
      if (typeof v !== "string" || !values.includes(v)) throw new ConfigError(path, v, `must be ${rule}`);
      return v as T[number];
    },
  };
}

export function bool(): Spec<boolean> {
  return {
    rule: "a boolean",
    fromString: (s) => (s === "true" || s === "1" ? true : s === "false" || s === "0" ? false : s),
    validate(v, path) {
      if (typeof v !== "boolean") throw new ConfigError(path, v, "must be a boolean");
      return v;
    },
  };
}

export function listOf<T>(item: Spec<T>, minLength = 0, maxLength = 1_000_000): Spec<T[]> {
  const rule = `a list of ${minLength}..${maxLength} items, each ${item.rule}`;
  return {
    rule,
    fromString: (s, path) => {
      try {
        return JSON.parse(s);
      } catch {
        throw new ConfigError(path, s, "must be a JSON list");
      }
    },
    validate(v, path) {
      if (!Array.isArray(v) || v.length < minLength || v.length > maxLength) throw new ConfigError(path, v, `must be ${rule}`);
      return v.map((x, i) => item.validate(x, `${path}[${i}]`));
    },
  };
}

/** An object with exactly these keys: unknown keys are rejected, missing keys are errors. */
export function obj<F extends Record<string, Spec<any>>>(fields: F): Spec<{ [K in keyof F]: Infer<F[K]> }> {
  return {
    rule: "an object",
    fields,
    fromString: (s, path) => {
      throw new ConfigError(path, s, "is a section, set its fields instead");
    },
    validate(v, path) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(path || "(root)", v, "must be an object");
      const out: Record<string, unknown> = {};
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in fields)) {
          const known = Object.keys(fields).join(", ");
          throw new ConfigError(path ? `${path}.${k}` : k, rec[k], `is not a known field (known here: ${known})`);
        }
      }
      for (const [k, spec] of Object.entries(fields)) {
        const p = path ? `${path}.${k}` : k;
        if (!(k in rec) || rec[k] === undefined) throw new ConfigError(p, undefined, `is required (${spec.rule})`);
        out[k] = spec.validate(rec[k], p);
      }
      return out as { [K in keyof F]: Infer<F[K]> };
    },
  };
}

/** A validation rule across fields, applied after the per-field checks. */
export type CrossCheck<T> = (config: T) => void;
