// Copies the JSON assets (configs, shipped parameters) next to the compiled JavaScript in dist/.
import { cpSync, readdirSync, statSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";

const roots = ["configs", "models", "protocols", "actors", "cluster", "loadtest", "bin"];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".json") || name.endsWith(".proto")) {
      const out = join("dist", p);
      mkdirSync(dirname(out), { recursive: true });
      cpSync(p, out);
    }
  }
}
for (const r of roots) walk(r);
cpSync("package.json", join("dist", "package.json"));
