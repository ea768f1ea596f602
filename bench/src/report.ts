/** Renders results.json as the results section of bench/README.md (between the two markers). */

type Json = any;

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

const fmt = (v: number | undefined, digits = 0) =>
  v == null || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** The median of `xs` (the mean of the middle two for an even count). */
const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const pct = (v: number | undefined) => (v == null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(0)}%`);

/** The one-epoch parity check: training loss within 1% (relative), test accuracy within 1 point. */
export function parity(s: Json, t: Json): { ok: boolean; lossDiff: number; accDiff: number } | null {
  if (!s?.check || !t?.check) return null;
  const lossDiff = Math.abs(s.check.trainLoss - t.check.trainLoss) / t.check.trainLoss;
  const accDiff = Math.abs(s.check.testAccuracy - t.check.testAccuracy);
  return { ok: lossDiff <= 0.01 && accDiff <= 0.01, lossDiff, accDiff };
}

export function renderReport(readme: string, r: Json): string {
  // tfjs-layers has no native backend: the native rows compare with its wasm row, its fastest here.
  const find = (lib: string, model: string, backend: string) =>
    r.train.find(
      (c: Json) =>
        c.lib === lib &&
        c.model === model &&
        c.backend === (lib === 'tfjs-layers' && backend === 'native' ? 'wasm' : backend),
    );
  const kern = (model: string, backend: string) =>
    r.kernels.find((c: Json) => c.model === model && c.backend === backend);
  const cases: [string, string][] = [];
  for (const m of ['mlp', 'cnn'])
    for (const b of ['cpu', 'wasm', 'native']) if (find('strata', m, b)) cases.push([m, b]);
  const L: string[] = [START, ''];
  L.push(
    `Last run ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpus} CPUs (${r.machine.model}), Node ${r.machine.node}, ` +
      `load average ${r.machine.loadAverageAtStart.toFixed(1)} at its start (partial runs update their own rows: each row's time is measuredAt in results.json; the machine is shared and was loaded up to 18 during some rows, CNN cpu among them). ${fmt(r.setup.samples)} MNIST training digits per epoch, batch ${r.setup.batchSize}, ` +
      `same initial weights in both libraries. Medians over the timed epochs.` +
      r.train
        .filter((c: Json) => (c.samples ?? r.setup.cnnSamples) !== r.setup.samples && c.model === 'cnn')
        .map(
          (c: Json) =>
            ` **${c.lib} CNN ${c.backend} used ${fmt(c.samples ?? r.setup.cnnSamples)} digits** per epoch (to fit the time available; BENCH_CNN_CPU_SAMPLES / BENCH_CNN_SAMPLES).`,
        )
        .join(''),
    '',
    '### Training throughput (samples/s)',
    '',
    '| model | backend | Strata | tfjs-layers | speed-up | kernel ceiling | Strata / ceiling | one-epoch check (train loss, test acc.) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  );
  for (const [m, b] of cases) {
    const s = find('strata', m, b);
    const t = find('tfjs-layers', m, b);
    const k = kern(m, b);
    const p = parity(s, t);
    const tCell = t?.trainError ? `did not train: ${t.trainError.slice(0, 110)}` : fmt(t?.samplesPerSec);
    const check =
      s?.check && t?.check
        ? `${p!.ok ? '✅' : '❌'} loss ${s.check.trainLoss.toFixed(4)} vs ${t.check.trainLoss.toFixed(4)} (${(p!.lossDiff * 100).toFixed(2)}%), acc. ${(s.check.testAccuracy * 100).toFixed(2)}% vs ${(t.check.testAccuracy * 100).toFixed(2)}%`
        : s?.check
          ? `Strata: loss ${s.check.trainLoss.toFixed(4)}, acc. ${(s.check.testAccuracy * 100).toFixed(2)}% (no peer)`
          : '–';
    L.push(
      `| ${m.toUpperCase()} | ${b} | ${s?.error ? 'error' : fmt(s?.samplesPerSec)} | ${tCell} | ${t?.samplesPerSec ? `${(s.samplesPerSec / t.samplesPerSec).toFixed(2)}×` : '–'} | ${fmt(k?.ceilingSamplesPerSec)} | ${pct(s?.samplesPerSec / k?.ceilingSamplesPerSec)} | ${check} |`,
    );
  }
  L.push(
    '',
    "The kernel ceiling is the throughput if a step cost only its matrix products and convolutions (forward and backward, measured alone on the same backend with Strata's kernels; see `kernels` in results.json). The native rows' tfjs-layers column is tfjs-layers on wasm (it has no native backend here).",
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Training throughput, samples/s (S = Strata, T = tfjs-layers)"',
    `  x-axis [${cases.flatMap(([m, b]) => [`"${m} ${b} S"`, `"${m} ${b} T"`]).join(', ')}]`,
    '  y-axis "samples/s"',
    `  bar [${cases.flatMap(([m, b]) => [find('strata', m, b)?.samplesPerSec ?? 0, find('tfjs-layers', m, b)?.samplesPerSec ?? 0].map((v: number) => Math.round(v))).join(', ')}]`,
    '```',
    '',
    '### Predict',
    '',
    '| model | backend | Strata batch 1 (ms) | tfjs-layers batch 1 (ms) | ratio | Strata batch 1024 (samples/s) | tfjs-layers batch 1024 (samples/s) |',
    '|---|---|---:|---:|---:|---:|---:|',
  );
  for (const [m, b] of cases) {
    const s = find('strata', m, b)?.predict;
    const t = find('tfjs-layers', m, b)?.predict;
    L.push(
      `| ${m.toUpperCase()} | ${b} | ${fmt(s?.batch1Ms, 3)} | ${fmt(t?.batch1Ms, 3)} | ${s && t ? (s.batch1Ms / t.batch1Ms).toFixed(2) : '–'} | ${fmt(s?.batch1024SamplesPerSec)} | ${fmt(t?.batch1024SamplesPerSec)} |`,
    );
  }
  L.push(
    '',
    'Latency is `predict` on one digit until its probabilities are on the host (median of 200 calls).',
    '',
    '### Memory',
    '',
    '| model | backend | Strata peak RSS (MB) | tfjs-layers peak RSS (MB) | Strata tensors after each epoch | tfjs-layers tensors after each epoch |',
    '|---|---|---:|---:|---|---|',
  );
  for (const [m, b] of cases) {
    const s = find('strata', m, b);
    const t = find('tfjs-layers', m, b);
    const flat = (xs?: number[]) =>
      xs?.length ? `${xs.join(', ')}${new Set(xs).size === 1 ? ' (flat)' : ' (GROWS)'}` : '–';
    L.push(
      `| ${m.toUpperCase()} | ${b} | ${fmt(s?.peakRssMB)} | ${fmt(t?.peakRssMB)} | ${flat(s?.tensorsAfterEpoch)} | ${flat(t?.tensorsAfterEpoch)} |`,
    );
  }
  const bars = r.train.filter((c: Json) => c.progbar);
  if (bars.length) {
    L.push(
      '',
      '### Progress bar cost (Strata, `verbose: 1` vs `verbose: 0`)',
      '',
      '| model | backend | overhead |',
      '|---|---|---:|',
    );
    for (const c of bars)
      L.push(`| ${c.model.toUpperCase()} | ${c.backend} | ${(c.progbar.overhead * 100).toFixed(1)}% |`);
  }
  if (r.peers?.length) {
    L.push(
      '',
      '### Python peers (same models, 12,000 digits, batch 128, one epoch, CPU)',
      '',
      '| library | model | samples/s | train loss |',
      '|---|---|---:|---:|',
    );
    for (const p of r.peers) {
      const name = p.lib === 'keras' ? `Keras ${p.version ?? ''} (JAX)` : `PyTorch ${p.version ?? ''}`;
      L.push(
        `| ${name} | ${p.model.toUpperCase()} | ${p.error ? `not run: ${p.error}` : fmt(p.samplesPerSec)} | ${p.loss ? p.loss[0].toFixed(4) : '–'} |`,
      );
    }
  }
  if (r.rounds?.length) {
    L.push(
      '',
      '### Native against its Python peer, back to back',
      '',
      'Each round runs Strata native, then the peer, each in a fresh process (`BENCH_ROUNDS`); the issue-20 targets',
      'below compare the medians of the rounds.',
      '',
      '| model | peer | Strata native, samples/s | peer, samples/s | ratio of medians |',
      '|---|---|---|---|---:|',
    );
    for (const x of r.rounds) {
      const name = x.peer === 'keras' ? 'Keras (JAX)' : 'PyTorch';
      L.push(
        `| ${x.model.toUpperCase()} | ${name} | ${x.strata.map((v: number) => fmt(v)).join(', ')} | ${x.peerSamplesPerSec.map((v: number) => fmt(v)).join(', ')} | ${(median(x.strata) / median(x.peerSamplesPerSec)).toFixed(2)}× |`,
      );
    }
  }
  L.push('', ...targets(r, find, kern), '', END);
  const block = L.join('\n');
  if (readme.includes(START) && readme.includes(END))
    return readme.slice(0, readme.indexOf(START)) + block + readme.slice(readme.indexOf(END) + END.length);
  return `${readme.trimEnd()}\n\n## Results\n\n${block}\n`;
}

function targets(
  r: Json,
  find: (l: string, m: string, b: string) => Json,
  kern: (m: string, b: string) => Json,
): string[] {
  const rows: string[] = ['### Targets (issue #11)', '', '| target | measured | met |', '|---|---|---|'];
  const add = (name: string, value: number | undefined, ok: boolean | undefined, show: string) =>
    rows.push(
      `| ${name} | ${value == null || !Number.isFinite(value) ? '–' : show} | ${ok == null ? '–' : ok ? '✅' : '❌'} |`,
    );
  const s = (m: string, b: string) => find('strata', m, b);
  const t = (m: string, b: string) => find('tfjs-layers', m, b);
  const ratio = (m: string, b: string) => s(m, b)?.samplesPerSec / t(m, b)?.samplesPerSec;
  const ceil = (m: string, b: string) => s(m, b)?.samplesPerSec / kern(m, b)?.ceilingSamplesPerSec;
  let v = ratio('mlp', 'wasm');
  add('MLP wasm ≥ 4× tfjs-layers', v, Number.isFinite(v) ? v >= 4 : undefined, `${v?.toFixed(2)}×`);
  v = ceil('mlp', 'wasm');
  add('MLP wasm ≥ 50% of kernel ceiling', v, Number.isFinite(v) ? v >= 0.5 : undefined, pct(v));
  v = ratio('mlp', 'cpu');
  add('MLP cpu ≥ 1.5× tfjs-layers', v, Number.isFinite(v) ? v >= 1.5 : undefined, `${v?.toFixed(2)}×`);
  v = s('cnn', 'wasm')?.samplesPerSec;
  add('CNN wasm ≥ 300 samples/s', v, v == null ? undefined : v >= 300, `${fmt(v)} samples/s`);
  for (const m of ['mlp', 'cnn'])
    for (const b of ['cpu', 'wasm']) {
      v = s(m, b)?.predict?.batch1Ms / t(m, b)?.predict?.batch1Ms;
      add(
        `${m.toUpperCase()} ${b} predict batch 1 ≤ ½ tfjs-layers latency`,
        v,
        Number.isFinite(v) ? v <= 0.5 : undefined,
        `${v?.toFixed(2)}× tfjs-layers`,
      );
    }
  const peer = (lib: string, m: string) => r.peers?.find((p: Json) => p.lib === lib && p.model === m);
  for (const [m, lib, name] of [
    ['mlp', 'keras', 'Keras-on-JAX'],
    ['cnn', 'torch', 'PyTorch'],
  ]) {
    const paired = r.rounds?.find((x: Json) => x.model === m && x.strata.length > 0);
    v = paired
      ? median(paired.strata) / median(paired.peerSamplesPerSec)
      : s(m, 'native')?.samplesPerSec / peer(lib, m)?.samplesPerSec;
    add(
      `${m.toUpperCase()} native training ≥ 1.0× ${name} (issue 20${paired ? `, medians of ${paired.strata.length} rounds` : ''})`,
      v,
      Number.isFinite(v) ? v >= 1 : undefined,
      `${v?.toFixed(2)}×`,
    );
  }
  for (const m of ['mlp', 'cnn']) {
    v = s(m, 'native')?.predict?.batch1Ms / t(m, 'native')?.predict?.batch1Ms;
    add(
      `${m.toUpperCase()} native predict batch 1 ≤ ½ tfjs-layers (wasm) latency (issue 20)`,
      v,
      Number.isFinite(v) ? v <= 0.5 : undefined,
      `${v?.toFixed(2)}× tfjs-layers`,
    );
  }
  for (const c of r.train.filter((x: Json) => x.progbar))
    add(
      `progress bar ≤ 5% (MLP ${c.backend})`,
      c.progbar.overhead,
      c.progbar.overhead <= 0.05,
      `${(c.progbar.overhead * 100).toFixed(1)}%`,
    );
  return rows;
}
