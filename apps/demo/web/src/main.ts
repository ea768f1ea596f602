/**
 * The web half of Strata's MNIST demo: the same models as the terminal demo (../../src/mnist-models.ts),
 * trained in a Web Worker (./train-worker.ts) with live curves, used on digits drawn by hand while they
 * train, saved to IndexedDB or a .keras file, and loaded back. The page builds models and loads saved ones
 * on tfjs's cpu backend; the worker trains on the backend chosen here.
 */
import * as tf from '@tensorflow/tfjs-core';
// Side-effect imports register 'adam', 'sparse_categorical_crossentropy', 'accuracy' (compile on the
// page, before the model is sent), the cpu backend, and model.save's file formats and targets.
import '@strata/optimizers';
import '@strata/losses-metrics';
import '@strata/backends/cpu';
import { type HostArray, setBackend, WorkerModel, type WorkerModelInfo } from '@strata/backends';
import { mnist } from '@strata/datasets';
import { DownloadTarget, loadModel } from '@strata/io';

import type { ModelKind } from '../../src/cli-args.js';
import { buildModel, prepareImages } from '../../src/mnist-models.js';
import { MNIST_ASSET, MNIST_TEST_COUNT, MNIST_TRAIN_COUNT } from './assets.js';
import { CurveChart, ProbabilityChart } from './charts.js';
import { DigitPad } from './digit-pad.js';

/** The IndexedDB key the page saves under (`model.save('indexeddb://strata-mnist-demo')`). */
const IDB_PATH = 'indexeddb://strata-mnist-demo';
const SAVED_AT_KEY = 'strata-mnist-demo:saved-at';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el as T;
};

const ui = {
  status: $('status'),
  backendSelect: $<HTMLSelectElement>('backend-select'),
  activeBackend: $('active-backend'),
  modelSelect: $<HTMLSelectElement>('model-select'),
  build: $<HTMLButtonElement>('build'),
  summary: $('summary'),
  samples: $<HTMLInputElement>('train-samples'),
  epochs: $<HTMLInputElement>('epochs'),
  batchSize: $<HTMLInputElement>('batch-size'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  evaluate: $<HTMLButtonElement>('evaluate'),
  epochProgress: $('epoch-progress'),
  trainLoss: $('train-loss'),
  trainAccuracy: $('train-accuracy'),
  valLoss: $('val-loss'),
  valAccuracy: $('val-accuracy'),
  evalResult: $('eval-result'),
  log: $('log'),
  prediction: $('prediction'),
  confidence: $('confidence'),
  clear: $<HTMLButtonElement>('clear'),
  saveIdb: $<HTMLButtonElement>('save-idb'),
  loadIdb: $<HTMLButtonElement>('load-idb'),
  download: $<HTMLButtonElement>('download'),
  upload: $<HTMLInputElement>('upload'),
  savedNote: $('saved-note'),
};

const lossChart = new CurveChart($<HTMLCanvasElement>('loss-chart'), 'Loss');
const accuracyChart = new CurveChart($<HTMLCanvasElement>('accuracy-chart'), 'Accuracy', { min: 0, max: 1 });
const probChart = new ProbabilityChart($<HTMLCanvasElement>('prob-chart'));

/** The loaded MNIST subset, kept on the page as the int32 tensors loadData returns (0..255 pixels). */
let data: { xTrain: tf.Tensor; yTrain: tf.Tensor; xTest: tf.Tensor; yTest: tf.Tensor } | null = null;
/** The worker that holds and trains the model, and what it said about the model it holds. */
let remote: WorkerModel;
let model: WorkerModelInfo | null = null;
/** Epochs trained so far on the current model, so a second Train continues its curves. */
let epochsDone = 0;
let training = false;
/** Whether the worker has taken a stop request during this fit; later batches are counted. */
let stopTaken = false;
let lastPixels: Float32Array | null = null;

type PageState = 'loading' | 'idle' | 'busy' | 'training' | 'error';

/** Shows a message; `data-state` on <body> lets the browser test wait for the page to settle. */
function setStatus(state: PageState, message: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
  const busy = state === 'busy' || state === 'training' || state === 'loading';
  for (const b of [ui.build, ui.train, ui.evaluate, ui.saveIdb, ui.loadIdb, ui.download, ui.clear]) {
    b.disabled = busy;
  }
  ui.backendSelect.disabled = busy;
  ui.modelSelect.disabled = busy;
  ui.upload.disabled = busy;
  ui.stop.disabled = state !== 'training';
  // While the worker trains, the page stays usable: draw, predict, save and download.
  if (state === 'training') ui.clear.disabled = ui.saveIdb.disabled = ui.download.disabled = false;
  if (state !== 'loading' && state !== 'busy' && state !== 'training') {
    ui.evaluate.disabled = ui.train.disabled = !data || !model;
    ui.saveIdb.disabled = ui.download.disabled = !model;
    ui.loadIdb.disabled = localStorage.getItem(SAVED_AT_KEY) === null;
  }
}

/** Runs one user action; the controls are locked unless the worker is training. An error is shown, not thrown. */
async function task(message: string, fn: () => Promise<string>): Promise<void> {
  const during = training;
  if (during) ui.status.textContent = message;
  else setStatus('busy', message);
  try {
    const done = await fn();
    if (during) ui.status.textContent = done;
    else setStatus('idle', done);
  } catch (e) {
    console.error(e);
    if (during) ui.status.textContent = `${(e as Error).message ?? e}`;
    else setStatus('error', `${(e as Error).message ?? e}`);
  }
}

const fmt = (v: number | undefined, digits = 4) =>
  v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);

// ---- the worker ----------------------------------------------------------------------------------

/** Starts a worker on a backend. A crash is shown, and a new worker with a new model takes its place. */
async function startWorker(backend: string): Promise<string> {
  remote = new WorkerModel(new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' }), {
    onCrash: (error) => {
      console.warn(error.message);
      training = false;
      model = null;
      setStatus('busy', `${error.message} Starting a new worker…`);
      void task('Starting a new worker…', async () => {
        await startWorker(ui.backendSelect.value);
        await newModel();
        return `${error.message} A new worker started on ${ui.activeBackend.textContent}, with a new model.`;
      });
    },
  });
  const active = await remote.setBackend(backend as Parameters<WorkerModel['setBackend']>[0]);
  ui.activeBackend.textContent = active;
  ui.backendSelect.value = active;
  return active;
}

// ---- model ---------------------------------------------------------------------------------------

/** The shape of one image for the current model: [784] for the MLP, [28, 28, 1] for the CNN. */
function imageShape(): number[] {
  return (model?.inputShapes[0] ?? [null, 784]).slice(1).map((d) => d ?? 1);
}

function resetTrainingView(): void {
  epochsDone = 0;
  lossChart.clear();
  accuracyChart.clear();
  ui.log.textContent = '';
  for (const el of [
    ui.epochProgress,
    ui.trainLoss,
    ui.trainAccuracy,
    ui.valLoss,
    ui.valAccuracy,
    ui.evalResult,
  ]) {
    el.textContent = '–';
  }
}

/** Shows the model the worker now holds, and predicts the drawing with it. */
function showModel(info: WorkerModelInfo): void {
  model = info;
  resetTrainingView();
  ui.modelSelect.value = imageShape().length === 1 ? 'mlp' : 'cnn';
  ui.summary.textContent = info.summary.join('\n');
  void predictDrawing();
}

/** Builds and compiles a new model on the page, and sends it to the worker (as .keras bytes, transferred). */
async function newModel(): Promise<string> {
  const kind = ui.modelSelect.value as ModelKind;
  const m = buildModel(kind);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  try {
    showModel(await remote.load(m));
  } finally {
    m.dispose();
  }
  return `New ${kind === 'cnn' ? 'convnet' : 'MLP'} sent to the worker (${ui.activeBackend.textContent}); its weights are random until it is trained.`;
}

// ---- training ------------------------------------------------------------------------------------

function readInt(input: HTMLInputElement, name: string, min: number, max: number): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}. Received: ${input.value}`);
  }
  return v;
}

async function train(): Promise<void> {
  if (!data || !model || training) return;
  let count: number;
  let epochs: number;
  let batchSize: number;
  try {
    count = readInt(ui.samples, 'Training digits', 100, data.xTrain.shape[0]);
    epochs = readInt(ui.epochs, 'Epochs', 1, 50);
    batchSize = readInt(ui.batchSize, 'Batch size', 1, 1024);
  } catch (e) {
    setStatus('error', (e as Error).message);
    return;
  }
  training = true;
  stopTaken = false;
  document.body.dataset.batchesAfterStop = '0';
  setStatus(
    'training',
    `Training in the worker on ${count} digits (${Math.round(count * 0.9)} to learn from, the rest to validate)…`,
  );
  const x = prepareImages(data.xTrain, imageShape(), count);
  const y = tf.slice(data.yTrain, 0, count);
  const started = performance.now();
  let steps: number | null = null;
  let stoppedAt = 0;
  try {
    // x and y are read here and their copies transferred to the worker; fit reports back as it goes.
    const history = await remote.fit(x, y, {
      batchSize,
      initialEpoch: epochsDone,
      epochs: epochsDone + epochs,
      validationSplit: 0.1,
      onTrainBegin: (params) => {
        steps = params.steps;
      },
      onEpochBegin: (epoch) => {
        // Marks for the browser test's long-task check, which looks at one whole epoch.
        performance.mark('strata-epoch-begin', { detail: { epoch } });
      },
      onBatchEnd: (batch, logs, epoch) => {
        if (stopTaken)
          document.body.dataset.batchesAfterStop = String(Number(document.body.dataset.batchesAfterStop) + 1);
        stoppedAt = epoch + 1;
        const at = epoch + (steps ? (batch + 1) / steps : 1);
        lossChart.addTraining(at, logs.loss, batch === 0);
        accuracyChart.addTraining(at, logs.accuracy, batch === 0);
        ui.epochProgress.textContent = `${epoch + 1}/${epochsDone + epochs}, step ${batch + 1}/${steps ?? '?'}`;
        ui.trainLoss.textContent = fmt(logs.loss);
        ui.trainAccuracy.textContent = fmt(logs.accuracy);
      },
      onEpochEnd: (epoch, logs) => {
        performance.mark('strata-epoch-end', { detail: { epoch } });
        lossChart.addValidation(epoch + 1, logs.val_loss);
        accuracyChart.addValidation(epoch + 1, logs.val_accuracy);
        ui.valLoss.textContent = fmt(logs.val_loss);
        ui.valAccuracy.textContent = fmt(logs.val_accuracy);
        const line = Object.entries(logs).map(([k, v]) => `${k}: ${fmt(v)}`);
        ui.log.textContent += `Epoch ${epoch + 1}/${epochsDone + epochs} - ${line.join(' - ')}\n`;
        ui.log.scrollTop = ui.log.scrollHeight;
      },
    });
    const ran = history.epoch.length;
    epochsDone += ran;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const valAcc = history.history.val_accuracy?.at(-1);
    const what = stopTaken
      ? `Stopped during epoch ${stoppedAt}`
      : `Trained ${ran} epoch${ran === 1 ? '' : 's'}`;
    training = false;
    setStatus(
      'idle',
      `${what} in ${seconds} s on ${ui.activeBackend.textContent} (in a worker)` +
        (valAcc === undefined ? '.' : `; validation accuracy ${(valAcc * 100).toFixed(1)}%.`),
    );
  } catch (e) {
    console.error(e);
    training = false;
    if (!remote.crashed) setStatus('error', `Training failed: ${(e as Error).message}`);
  } finally {
    tf.dispose([x, y]);
    training = false;
  }
}

async function stop(): Promise<void> {
  if (!training) return;
  ui.status.textContent = 'Stopping after this batch…';
  // The worker sets model.stopTraining as the message arrives; fit checks it after every batch, as Keras
  // does, and the epoch's validation still runs.
  if (await remote.stop()) stopTaken = true;
}

async function evaluate(): Promise<string> {
  if (!data || !model) throw new Error('Nothing to evaluate: build or load a model first.');
  const x = prepareImages(data.xTest, imageShape());
  try {
    const [loss, accuracy] = (await remote.evaluate(x, data.yTest, { batchSize: 256 })) as number[];
    ui.evalResult.textContent = `accuracy ${fmt(accuracy)}, loss ${fmt(loss)}`;
    return `Evaluated on ${data.xTest.shape[0]} test digits: accuracy ${(accuracy * 100).toFixed(2)}%, loss ${loss.toFixed(4)}.`;
  } finally {
    x.dispose();
  }
}

// ---- drawing and prediction ----------------------------------------------------------------------

let predicting: Promise<void> = Promise.resolve();
let pendingPredictions = 0;

/** The drawing as the one-image batch the model takes (a copy: the worker gets it, transferred). */
function drawingBatch(pixels: Float32Array): HostArray {
  return { data: pixels.slice(), shape: [1, ...imageShape()] };
}

function showProbabilities(probs: number[]): void {
  const best = probs.indexOf(Math.max(...probs));
  probChart.show(probs);
  ui.prediction.textContent = String(best);
  ui.prediction.dataset.probs = JSON.stringify(probs);
  ui.confidence.textContent = `(${(probs[best] * 100).toFixed(1)}%)`;
}

/**
 * Predicts the drawn digit in the worker, also while it trains (between two batches); calls are chained so
 * that a slow prediction never overtakes a newer one.
 */
function predictDrawing(pixels: Float32Array | null = lastPixels): Promise<void> {
  lastPixels = pixels;
  // How many predictions are queued, for the browser test to wait on.
  ui.prediction.dataset.pending = String(++pendingPredictions);
  predicting = predicting.then(async () => {
    if (!model || !lastPixels) {
      if (!lastPixels) {
        probChart.clear();
        ui.prediction.textContent = '–';
        ui.prediction.dataset.probs = '';
        ui.confidence.textContent = '';
      }
      return;
    }
    const wasTraining = training;
    const [probs] = await remote.predict(drawingBatch(lastPixels));
    showProbabilities(Array.from(probs.data));
    // Whether this prediction came back while fit was running in the worker (the browser test checks it).
    ui.prediction.dataset.duringTraining = String(wasTraining && training);
  });
  predicting = predicting
    .catch((e) => {
      if (!remote.crashed) setStatus('error', `Prediction failed: ${(e as Error).message}`);
    })
    .finally(() => {
      ui.prediction.dataset.pending = String(--pendingPredictions);
    });
  return predicting;
}

const pad = new DigitPad($<HTMLCanvasElement>('pad'), $<HTMLCanvasElement>('preview'), (pixels) => {
  void predictDrawing(pixels);
});

// ---- saving and loading --------------------------------------------------------------------------

/**
 * Saves the worker's model to IndexedDB, also during training. The drawing is predicted in the same
 * pause between two batches, so the note can say what the saved model answers.
 */
async function saveToBrowser(): Promise<string> {
  if (!model) throw new Error('Nothing to save: build or train a model first.');
  const [, prediction] = await Promise.all([
    remote.save(IDB_PATH),
    lastPixels ? remote.predict(drawingBatch(lastPixels)) : null,
  ]);
  localStorage.setItem(SAVED_AT_KEY, new Date().toLocaleString());
  showSavedNote();
  ui.savedNote.dataset.probs = prediction ? JSON.stringify(Array.from(prediction[0].data)) : '';
  return `Saved to ${IDB_PATH}${training ? ' while training' : ''}. Reload the page and press "Load from this browser" to get it back.`;
}

/**
 * Loads the saved model twice: on this page (tfjs's cpu backend) to predict the drawing here, and in the
 * worker (straight from IndexedDB) to train it further.
 */
async function loadFromBrowser(): Promise<string> {
  const here = await loadModel(IDB_PATH);
  try {
    if (lastPixels) {
      const probs = tf.tidy(
        () =>
          here.predict(tf.tensor(drawingBatch(lastPixels!).data, [1, ...imageShapeOf(here)])) as tf.Tensor,
      );
      ui.savedNote.dataset.loadedProbs = JSON.stringify(Array.from(await probs.data()));
      probs.dispose();
    }
  } finally {
    here.dispose();
  }
  showModel(await remote.load(IDB_PATH));
  await predictDrawing();
  return `Loaded ${model!.name} from ${IDB_PATH}, on this page and in the worker (${ui.activeBackend.textContent}).`;
}

function imageShapeOf(m: { inputs: { shape: readonly (number | null)[] }[] }): number[] {
  return m.inputs[0].shape.slice(1).map((d) => d ?? 1);
}

async function uploadFile(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const size = bytes.byteLength;
  showModel(await remote.load(bytes));
  await predictDrawing();
  return `Loaded ${model!.name} from ${file.name} (${size.toLocaleString()} bytes) into the worker.`;
}

function showSavedNote(): void {
  const when = localStorage.getItem(SAVED_AT_KEY);
  ui.savedNote.textContent = when
    ? `A model saved at ${when} is in this browser's IndexedDB (${IDB_PATH}).`
    : 'No model saved in this browser yet.';
}

// ---- wiring --------------------------------------------------------------------------------------

ui.backendSelect.addEventListener('change', () => {
  // The worker's tensors and weights stay where they are: tfjs moves each to the new backend when it is next used.
  void task(`Switching the worker to ${ui.backendSelect.value}…`, async () => {
    const active = await remote.setBackend(
      ui.backendSelect.value as Parameters<WorkerModel['setBackend']>[0],
    );
    ui.activeBackend.textContent = active;
    return `Backend: ${active} (in the worker). The model carries over.`;
  });
});
ui.build.addEventListener('click', () => void task('Building…', newModel));
ui.modelSelect.addEventListener('change', () => void task('Building…', newModel));
ui.train.addEventListener('click', () => void train());
ui.stop.addEventListener('click', () => void stop());
ui.evaluate.addEventListener('click', () => void task('Evaluating on the test digits…', evaluate));
ui.clear.addEventListener('click', () => pad.clear());
ui.saveIdb.addEventListener('click', () => void task('Saving…', saveToBrowser));
ui.loadIdb.addEventListener('click', () => void task('Loading…', loadFromBrowser));
ui.download.addEventListener(
  'click',
  () =>
    void task('Preparing the download…', async () => {
      const bytes = await remote.save();
      await new DownloadTarget('mnist.keras').write([{ name: 'mnist.keras', data: bytes }]);
      return 'Downloaded mnist.keras (Keras 3 format: keras.saving.load_model reads it too).';
    }),
);
ui.upload.addEventListener('change', () => {
  const file = ui.upload.files?.[0];
  if (file) void task(`Loading ${file.name}…`, () => uploadFile(file));
  ui.upload.value = '';
});

async function start(): Promise<void> {
  setStatus('loading', 'Starting the worker…');
  showSavedNote();
  $('train-total').textContent = MNIST_TRAIN_COUNT.toLocaleString('en');
  $('test-total').textContent = MNIST_TEST_COUNT.toLocaleString('en');
  ui.samples.max = String(MNIST_TRAIN_COUNT);
  // The page itself only builds models and loads saved ones: cpu is enough, and leaves the GPU to the worker.
  await setBackend('cpu');
  const wanted = new URLSearchParams(location.search).get('backend') ?? 'webgl';
  let note = '';
  try {
    await startWorker(wanted);
  } catch (e) {
    // Without WebGL2 in workers (or with it blocklisted), or WebGPU without an adapter, the page still
    // works, on wasm.
    note = ` (${wanted} failed: ${(e as Error).message})`;
    await startWorker('wasm');
  }
  setStatus('loading', 'Loading the MNIST subset…');
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({
    url: new URL(MNIST_ASSET, document.baseURI).href,
  });
  data = { xTrain, yTrain, xTest, yTest };
  await newModel();
  setStatus(
    'idle',
    `Ready, training in a worker on ${ui.activeBackend.textContent}${note}: ${xTrain.shape[0].toLocaleString('en')} training and ` +
      `${xTest.shape[0].toLocaleString('en')} test digits loaded. Train the model, then draw a digit.`,
  );
}

start().catch((e) => {
  console.error(e);
  setStatus('error', `The demo could not start: ${(e as Error).message}`);
});
