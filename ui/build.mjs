// Builds the web UI into internal/webui/dist, which is committed and embedded in the Go binary
// (so building and running Luminate never needs Node). Run through `make ui`:
//
//   node build.mjs          bundle src/ into ../internal/webui/dist and write build.json
//   node build.mjs --test   bundle src/**/*.test.ts and run them with node's test runner
//
// build.json records a hash of every input of the build (HASH_INPUTS). The Go test in
// internal/webui recomputes it with the same rule and fails when the committed build is stale.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "internal", "webui", "dist");

// The inputs of the build, relative to ui/. Keep in sync with hashInputs in internal/webui.
const HASH_INPUTS = ["build.mjs", "package-lock.json", "package.json", "src", "tsconfig.json"];

// files lists the files under p (a file or a directory), relative to ui/ with "/" separators.
function files(p) {
  const abs = join(here, p);
  if (!statSync(abs).isDirectory()) return [p];
  return readdirSync(abs).flatMap((name) => files(p + "/" + name));
}

const sha256 = (data, encoding) => createHash("sha256").update(data, encoding).digest("hex");

// sourceHash: sha256 over "path\nsha256(content)\n" for every input file, sorted by path, with
// CRLF read as LF (a checkout with core.autocrlf must not look stale).
function sourceHash() {
  const all = HASH_INPUTS.flatMap(files).sort();
  const h = createHash("sha256");
  for (const f of all) h.update(f + "\n" + sha256(readFileSync(join(here, f), "latin1").replace(/\r\n/g, "\n"), "latin1") + "\n");
  return "sha256:" + h.digest("hex");
}

async function build() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const uplotVersion = JSON.parse(readFileSync(join(here, "node_modules/uplot/package.json"), "utf8")).version;
  const banner = `/*! Luminate web UI. Includes uPlot ${uplotVersion} (MIT License, see licenses.txt). */`;
  await esbuild.build({
    entryPoints: { app: join(here, "src/main.ts") },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020"],
    charset: "utf8",
    legalComments: "none",
    banner: { js: banner, css: banner },
    logLevel: "warning",
  });
  writeFileSync(join(outDir, "index.html"), readFileSync(join(here, "src/index.html")));
  writeFileSync(join(outDir, "licenses.txt"), "uPlot " + uplotVersion + "\n\n" + readFileSync(join(here, "node_modules/uplot/LICENSE"), "utf8"));

  const out = {};
  for (const f of readdirSync(outDir).sort()) out[f] = "sha256:" + sha256(readFileSync(join(outDir, f)));
  const info = { sourceHash: sourceHash(), files: out, rebuild: "make ui" };
  writeFileSync(join(outDir, "build.json"), JSON.stringify(info, null, 2) + "\n");
  console.log(`built ${relative(process.cwd(), outDir) || "."}: ${Object.keys(out).join(", ")} (${info.sourceHash})`);
}

async function test() {
  const tests = files("src").filter((f) => f.endsWith(".test.ts"));
  const dir = mkdtempSync(join(tmpdir(), "luminate-ui-test-"));
  try {
    await esbuild.build({
      entryPoints: tests.map((f) => join(here, f)),
      outdir: dir,
      outbase: join(here, "src"),
      outExtension: { ".js": ".mjs" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: ["node20"],
      logLevel: "warning",
    });
    const compiled = tests.map((f) => join(dir, f.slice("src/".length).replace(/\.ts$/, ".mjs")).split("/").join(sep));
    const r = spawnSync(process.execPath, ["--test", ...compiled], { stdio: "inherit" });
    process.exitCode = r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await (process.argv.includes("--test") ? test() : build());
