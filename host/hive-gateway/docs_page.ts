// /docs: a small offline page listing the routes from the OpenAPI document (no CDN, no script).

import type { OpenApiDoc } from "./app.js";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function docsPage(doc: OpenApiDoc): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []).map((p) => `${p.name}${p.required ? "" : "?"}`).join(", ");
      rows.push(`<tr><td><code>${esc(method.toUpperCase())}</code></td><td><code>${esc(path)}</code></td><td>${esc(params)}</td><td>${esc(op.summary ?? "")}</td></tr>`);
    }
  }
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>hive-gateway</title>',
    "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body>",
    "<h1>hive-gateway</h1>",
    '<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> · <a href="/v1/openapi.yaml">/v1/openapi.yaml</a> · <a href="/metrics">/metrics</a>. Every route but <code>/v1/meta/bounds</code> needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>',
    "<table><tr><th>Method</th><th>Path</th><th>Parameters</th><th>What</th></tr>",
    ...rows,
    "</table></body></html>",
    "",
  ].join("\n");
}
