import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { FEED_PROTO_PATH } from "./feed-proto.ts";

/**
 * Generates feed-types.ts from feed.proto: one interface per message in the shape @grpc/proto-loader
 * delivers with FEED_LOADER_OPTIONS, enums as `as const` objects, and the method table of each service.
 * Run `node --import tsx protocols/grpc/codegen.ts` after editing the proto; a test fails when the
 * committed file is stale.
 */
export const FEED_TYPES_PATH = join(dirname(fileURLToPath(import.meta.url)), "feed-types.ts");

const SCALARS: Record<string, string> = {
  double: "number", float: "number", int32: "number", uint32: "number", sint32: "number", fixed32: "number",
  sfixed32: "number", int64: "number", uint64: "number", sint64: "number", fixed64: "number", sfixed64: "number",
  bool: "boolean", string: "string", bytes: "Buffer",
};

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function doc(comment: string | null | undefined, indent: string): string {
  if (!comment) return "";
  const lines = comment.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join("\n")}\n${indent} */\n`;
}

function fieldType(f: protobuf.Field): string {
  f.resolve();
  let t: string;
  if (f.resolvedType instanceof protobuf.Enum) t = `${f.resolvedType.name} | number`;
  else if (f.resolvedType instanceof protobuf.Type) t = f.resolvedType.name;
  else t = SCALARS[f.type] ?? "unknown";
  if (f.repeated) return t.includes("|") ? `(${t})[]` : `${t}[]`;
  return f.resolvedType instanceof protobuf.Type ? `${t} | null` : t;
}

export function generateFeedTypes(protoPath = FEED_PROTO_PATH): string {
  const root = new protobuf.Root();
  root.loadSync(protoPath, { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  const rel = relative(dirname(FEED_TYPES_PATH), protoPath).split("\\").join("/");
  const out: string[] = [
    `// Generated from ${rel} by codegen.ts — do not edit (node --import tsx protocols/grpc/codegen.ts).`,
    `// Message shapes as @grpc/proto-loader delivers them with FEED_LOADER_OPTIONS (feed-proto.ts);`,
    `// an enum field holds a number when the value is not one this schema knows.`,
    "",
  ];
  const visit = (ns: protobuf.NamespaceBase, pkg: string): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Enum) {
        out.push(doc(obj.comment, "") + `export const ${obj.name} = {`);
        for (const name of Object.keys(obj.values)) out.push(`  ${name}: "${name}",`);
        out.push("} as const;");
        out.push(`export type ${obj.name} = (typeof ${obj.name})[keyof typeof ${obj.name}];`, "");
      } else if (obj instanceof protobuf.Type) {
        out.push(doc(obj.comment, "") + `export interface ${obj.name} {`);
        for (const f of obj.fieldsArray) out.push(doc(f.comment, "  ") + `  ${camel(f.name)}: ${fieldType(f)};`);
        out.push("}", "");
      } else if (obj instanceof protobuf.Service) {
        out.push(doc(obj.comment, "") + `export const ${obj.name}Methods = {`);
        for (const m of obj.methodsArray) {
          out.push(
            `  ${m.name}: { path: "/${pkg}.${obj.name}/${m.name}", requestStream: ${Boolean(m.requestStream)}, responseStream: ${Boolean(m.responseStream)} },`,
          );
        }
        out.push("} as const;", "");
        out.push(`/** Request and response types of each ${obj.name} method. */`, `export interface ${obj.name}Types {`);
        for (const m of obj.methodsArray) {
          m.resolve();
          out.push(`  ${m.name}: { request: ${m.resolvedRequestType!.name}; response: ${m.resolvedResponseType!.name} };`);
        }
        out.push("}", "");
      } else if (obj instanceof protobuf.Namespace) {
        visit(obj, pkg === "" ? obj.name : `${pkg}.${obj.name}`);
      }
    }
  };
  visit(root, "");
  return out.join("\n").replace(/\n+$/, "\n");
}

/** True when the committed feed-types.ts matches the proto. */
export function feedTypesAreCurrent(): boolean {
  return readFileSync(FEED_TYPES_PATH, "utf8") === generateFeedTypes();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(FEED_TYPES_PATH, generateFeedTypes());
}
