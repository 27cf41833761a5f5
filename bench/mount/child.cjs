// The mount's side of bench/mount, run as its own process (never the one serving the mount):
// times open/read/close and append loops with plain fs calls and prints one JSON line.
const fs = require("node:fs");
const [dir, big, small, log, runsS, opsS] = process.argv.slice(2);
const runs = Number(runsS);
const ops = Number(opsS);
const t = () => Number(process.hrtime.bigint()) / 1e9;
const p = (x) => `${dir}${x}`;
for (let i = 0; i < 3; i++) fs.readFileSync(p(big)); // warm-up
let t0 = t();
let bytes = 0;
for (let i = 0; i < runs; i++) bytes += fs.readFileSync(p(big)).length;
const bigS = t() - t0;
for (let i = 0; i < 20; i++) fs.readFileSync(p(small));
t0 = t();
for (let i = 0; i < ops; i++) fs.readFileSync(p(small));
const smallS = t() - t0;
t0 = t();
for (let i = 0; i < ops; i++) fs.appendFileSync(p(log), `bench-mount-${i}\n`);
const appendS = t() - t0;
process.stdout.write(JSON.stringify({ bytes, bigS, smallS, appendS }) + "\n");
