#!/usr/bin/env node
// An HTTP server that streams a large response to every client, fast, in
// fresh 64 KiB chunks (as a reader of a file or an upstream makes them), in
// one of two modes:
//
//   --mode naive  writes every chunk as soon as it is made and ignores
//                 res.write()'s false: what the client has not read yet
//                 piles up in the response's buffer, and the process grows
//                 at the difference between the source's rate and the
//                 client's.
//   --mode drain  stops when res.write() returns false and waits for
//                 'drain': the buffer stays near its highWaterMark whatever
//                 the client does.
//
// Usage:
//
//   node server.js [--mode naive|drain] [--port 8787] [--host 127.0.0.1]
//                  [--chunk 64KiB] [--size 0] [--source-rate 8MiB]
//
// --port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". --size is the body of each response (0: endless),
// --source-rate the bytes per second made for each response (0: as fast as
// the event loop turns). Sizes are bytes or a number with B, KiB, MiB or
// GiB. SIGINT or SIGTERM stops the server (exit 0). Node 18 or later, no
// packages. Run by bpbench, its heap, buffered bytes and the writes made
// after write() returned false are reported by the probe bpbench preloads.
'use strict';

const http = require('node:http');
const { parseArgs } = require('node:util');
const { setTimeout: sleep, setImmediate: turn } = require('node:timers/promises');

const units = { B: 1, KiB: 1 << 10, MiB: 1 << 20, GiB: 1 << 30 };

function parseSize(flag, s) {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/.exec(String(s).trim());
  if (!m) throw new Error(`--${flag} ${JSON.stringify(s)}: use bytes or a number with B, KiB, MiB or GiB (e.g. 64KiB)`);
  return Math.floor(Number(m[1]) * units[m[2] || 'B']);
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string', default: 'naive' },
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      chunk: { type: 'string', default: '64KiB' },
      size: { type: 'string', default: '0' },
      'source-rate': { type: 'string', default: '8MiB' },
    },
  });
  const cfg = {
    mode: values.mode,
    port: Number(values.port),
    host: values.host,
    chunk: parseSize('chunk', values.chunk),
    size: parseSize('size', values.size),
    rate: parseSize('source-rate', values['source-rate']),
  };
  if (cfg.mode !== 'naive' && cfg.mode !== 'drain') throw new Error(`--mode ${JSON.stringify(cfg.mode)}: use naive or drain`);
  if (!Number.isInteger(cfg.port) || cfg.port < 0 || cfg.port > 65535) throw new Error(`--port ${values.port}: use 0 to 65535`);
  if (cfg.chunk < 1) throw new Error('--chunk must be at least 1 byte');
  return cfg;
}

// drained resolves on the response's 'drain' or 'close', whichever comes
// first, and leaves no listener behind either way.
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

// respond makes the body at the source rate and writes it, waiting for
// 'drain' when write() says so only in drain mode.
async function respond(cfg, pattern, res) {
  let closed = false; // the client went away (or the response ended)
  res.once('close', () => { closed = true; });
  const headers = { 'Content-Type': 'text/plain' };
  if (cfg.size > 0) headers['Content-Length'] = cfg.size;
  res.writeHead(200, headers);

  const start = performance.now();
  let made = 0;
  while (!closed && (cfg.size === 0 || made < cfg.size)) {
    const n = cfg.size > 0 ? Math.min(cfg.chunk, cfg.size - made) : cfg.chunk;
    const chunk = Buffer.allocUnsafe(n);
    pattern.copy(chunk, 0, 0, n);
    const ok = res.write(chunk);
    made += n;
    if (!ok && cfg.mode === 'drain') {
      await drained(res);
      continue; // the loop's test sees a close
    }
    const wait = cfg.rate > 0 ? start + (made / cfg.rate) * 1000 - performance.now() : 0;
    if (wait >= 1) await sleep(wait);
    else await turn(); // let the event loop run: naive still never waits for drain
  }
  if (!closed) res.end();
}

function main() {
  let cfg;
  try {
    cfg = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`server.js: ${err.message}\n`);
    process.exit(2);
  }
  const line = 'bpbench example body: a large response to a slow client.\n';
  const pattern = Buffer.from(line.repeat(Math.ceil(cfg.chunk / line.length)));

  const server = http.createServer((req, res) => {
    respond(cfg, pattern, res).catch((err) => {
      process.stderr.write(`server.js: ${err.stack}\n`);
      res.destroy();
    });
  });
  server.on('error', (err) => {
    process.stderr.write(`server.js: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(cfg.port, cfg.host, () => {
    process.stdout.write(`listening on ${server.address().port}\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
