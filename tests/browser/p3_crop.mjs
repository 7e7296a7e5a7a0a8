import { launch } from './harness.mjs';
import { readFileSync } from 'node:fs';
const [src, y, h, out] = process.argv.slice(2);
const b = await launch();
const p = await b.newPage({ viewport: { width: 390, height: Number(h) } });
const data = readFileSync(src).toString('base64');
await p.setContent(`<body style="margin:0"><img src="data:image/png;base64,${data}" style="display:block;margin-top:-${y}px"></body>`);
await p.screenshot({ path: out });
await b.close();
