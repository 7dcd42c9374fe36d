// A user's own Node program, for the tests: 10,000 writes of 1KiB to a
// writable stream whose sink takes a millisecond per 32 chunks, either
// waiting for 'drain' (APP_MODE=drain) or ignoring write()'s false (naive).
// It knows nothing of bpbench: the harness's preload script reports its
// heap and its streams' buffered bytes.
const { Writable } = require('stream');
let n = 0;
const sink = new Writable({
  highWaterMark: 64 * 1024,
  write(chunk, enc, cb) {
    if (++n % 32 === 0) setTimeout(cb, 1); else cb();
  },
});
const chunk = Buffer.alloc(1024, 'x');
const total = 10000;
const drain = process.env.APP_MODE !== 'naive';
let i = 0;
function go() {
  while (i < total) {
    i++;
    if (!sink.write(chunk) && drain) {
      sink.once('drain', go);
      return;
    }
  }
  sink.end();
}
go();
