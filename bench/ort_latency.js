// ONNX Runtime side of the host latency benchmark (bench/mcu_bench.sh): loads the model with one
// thread (intra- and inter-op), feeds the same raw inputs as bench/host_latency_main.cpp, runs 10
// warm-up inferences, then N timed ones, and prints the median in nanoseconds ("median_ns=...").
// usage: node ort_latency.js ORT_MODULE_DIR MODEL.onnx N name:dtype:d0xd1x..:file.bin ...
'use strict';
const fs = require('fs');
const [ortDir, model, nStr, ...specs] = process.argv.slice(2);
const ort = require(ortDir);
const types = {float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array,
               int64: BigInt64Array};
(async () => {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const feeds = {};
  for (const s of specs) {
    const [name, dtype, dims, file] = s.split(':');
    const buf = fs.readFileSync(file);
    const T = types[dtype];
    const data = new T(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[name] = new ort.Tensor(dtype, data, dims.split('x').map(Number));
  }
  for (let i = 0; i < 10; ++i) await session.run(feeds);
  const n = Number(nStr), t = [];
  for (let i = 0; i < n; ++i) {
    const a = process.hrtime.bigint();
    await session.run(feeds);
    t.push(Number(process.hrtime.bigint() - a));
  }
  t.sort((x, y) => x - y);
  console.log(`median_ns=${t[Math.floor(n / 2)]}`);
})().catch((e) => { console.error(`ort_latency: ${e.message}`); process.exit(1); });
