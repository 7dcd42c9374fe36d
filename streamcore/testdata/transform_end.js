// The end path of a Transform in Node, for streamcore's tests
// (TestTransform_T5_*): run `node transform_end.js`; every line it prints
// is asserted in conformance_transform_end_test.go.
//
// Each scenario uses an identity transform of highWaterMark 10 on both
// sides and writes five 10-byte chunks (or fewer), then end(). State is
// printed once everything the scenario started has settled (setImmediate).
"use strict";
const { Transform } = require("node:stream");

function make(withFlush) {
  const st = { transformed: 0, flushed: false, finished: false, ended: false, log: [] };
  const t = new Transform({
    highWaterMark: 10,
    transform(chunk, enc, cb) { st.transformed++; st.log.push("transform"); cb(null, chunk); },
    flush: withFlush ? (cb) => { st.flushed = true; st.log.push("flush"); cb(null, Buffer.alloc(10, "F")); } : undefined,
  });
  t.on("finish", () => { st.finished = true; st.log.push("finish"); });
  t.on("end", () => { st.ended = true; st.log.push("end"); });
  return { t, st };
}

function show(name, { t, st }) {
  console.log(`${name}: transformed=${st.transformed} readable=${t.readableLength} writable=${t.writableLength} flushed=${st.flushed} finished=${st.finished} ended=${st.ended}`);
}

const tick = () => new Promise((r) => setImmediate(r));
const settle = async () => { for (let i = 0; i < 5; i++) await tick(); };
const ten = () => Buffer.alloc(10, "x");

// writeEndRead writes n chunks (the last with end(chunk) if withEndChunk,
// else end() after them), shows the state, reads 10 bytes and shows it
// again.
async function writeEndRead(name, s, n, withEndChunk) {
  for (let i = 0; i < (withEndChunk ? n - 1 : n); i++) s.t.write(ten());
  if (withEndChunk) s.t.end(ten()); else s.t.end();
  await settle();
  show(`${name}, before read`, s);
  s.t.read(10);
  await settle();
  show(`${name}, after one read`, s);
}

async function main() {
  // 1. Ended with chunks queued and the readable side full: one read
  // lets every queued chunk through transform, and finish fires.
  await writeEndRead("ended", make(false), 5, false);
  // 2. Flush comes after the last transform, before finish, even with
  // the readable side full; end waits for the reader.
  {
    const s = make(true);
    await writeEndRead("flush", s, 5, false);
    console.log("flush, order: " + s.st.log.join(","));
    while (s.t.read() !== null);
    await settle();
    show("flush, after reading all", s);
  }
  // 3. Ended while paused in flowing mode: nothing moves until resume,
  // then everything flows, finish then end.
  {
    const s = make(false);
    let got = 0;
    s.t.on("data", (c) => { got += c.length; });
    s.t.pause();
    for (let i = 0; i < 5; i++) s.t.write(ten());
    s.t.end();
    await settle();
    show("paused, before resume", s);
    s.t.resume();
    await settle();
    show("paused, after resume", s);
    console.log(`paused, data: ${got}; order: ${s.st.log.join(",")}`);
  }
  // 4. Ended with the readable side full and nothing queued: the held
  // write keeps finish back until a read.
  await writeEndRead("full", make(false), 1, false);
  // 5. end(chunk) with the readable side full: the last chunk goes
  // through transform once a read releases the held one.
  await writeEndRead("end(chunk)", make(false), 3, true);
}
main();
