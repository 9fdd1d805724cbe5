// Runs every case in a tests/ms_ops-style folder with onnxruntime-node (CPU, graph optimizations
// off) and writes raw outputs plus ort_outputs.json for make_ms_ops.py. Usage: node run_ort.js DIR
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
const ARR = {int8: Int8Array, uint8: Uint8Array, float32: Float32Array, int32: Int32Array};
(async () => {
  const dir = process.argv[2];
  for (const name of fs.readdirSync(dir).sort()) {
    const mf = path.join(dir, name, 'manifest.json');
    if (!fs.existsSync(mf)) continue;
    const man = JSON.parse(fs.readFileSync(mf));
    const sess = await ort.InferenceSession.create(path.join(dir, name, 'model.onnx'),
        {graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, executionProviders: ['cpu']});
    const feeds = {};
    for (const i of man.inputs) {
      const buf = fs.readFileSync(i.raw);
      const T = ARR[i.dtype];
      const data = new T(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      feeds[i.name] = new ort.Tensor(i.dtype, data, i.shape);
    }
    const res = await sess.run(feeds);
    const outs = [];
    man.outputs.forEach((o, k) => {
      const t = res[o];
      const raw = path.join(dir, name, `out_${k}.raw`);
      fs.writeFileSync(raw, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      outs.push({name: o, dtype: t.type, shape: t.dims, raw: raw});
    });
    fs.writeFileSync(path.join(dir, name, 'ort_outputs.json'), JSON.stringify(outs));
    console.log(name, 'ok');
  }
})().catch((e) => { console.error(e); process.exit(1); });
