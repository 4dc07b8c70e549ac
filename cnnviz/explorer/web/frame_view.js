// The explorer's picture (cnnviz/explorer/frame_view.py; formats in frame_codec.py).
function pngBitmap(bytes) {
  return createImageBitmap(new Blob([bytes], { type: "image/png" }));
}

function bytesOf(view, offset, length) {
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

function readClip(view) {  // frame_codec.read_clip
  const count = view.getUint16(0), entries = [];
  let at = 2 + 7 * count;
  for (let n = 0; n < count; n++) {
    const step = view.getUint16(2 + 7 * n), kind = view.getUint8(4 + 7 * n);
    const length = view.getUint32(5 + 7 * n);
    entries.push({ step, kind, bytes: bytesOf(view, at, length).slice() });
    at += length;
  }
  return entries;
}

async function render({ model, el, host }) {
  // The canvas itself is the picture: re-encoding it as a PNG for an <img> after every step
  // cost the browser more than the whole step did (bench/bench_frames.py).
  const canvas = document.createElement("canvas");
  canvas.className = "cnnviz-frame";
  canvas.setAttribute("role", "img");  // with aria-label: a picture with a text alternative
  canvas.setAttribute("aria-label", model.get("alt"));
  model.on("change:alt", () => canvas.setAttribute("aria-label", model.get("alt")));
  el.append(canvas);
  const ctx = canvas.getContext("2d");
  // current: the kernel's id of the picture on the canvas (-1 once a clip has changed it);
  // at, epoch: the walk step on the canvas and the figure it belongs to
  let current = -1, at = -1, epoch = -1, queue = Promise.resolve();
  let painted = 0, marked = false, shown = 0;
  let clipEpoch = -1, clipCount = 0, clip = new Map();

  function markShown() {
    // data-picture counts the pictures painted; it changes at most once per display frame,
    // so counting its changes counts pictures a person could see. data-step: the walk step.
    if (marked) return;
    marked = true;
    requestAnimationFrame(() => {
      marked = false;
      if (painted !== shown) {
        shown = painted;
        canvas.dataset.step = String(at);
        canvas.dataset.picture = String(painted);
      }
    });
  }
  async function drawFull(bytes) {
    const bitmap = await pngBitmap(bytes);
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width; canvas.height = bitmap.height;
    }
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
  }
  async function drawPatch(view) {
    const count = view.getUint16(0), table = 2 + 8 * count;
    if (count === 0) return;
    const strip = await pngBitmap(bytesOf(view, table, view.byteLength - table));
    for (let n = 0, y = 0; n < count; n++) {
      const a = 2 + 8 * n;
      const left = view.getUint16(a), top = view.getUint16(a + 2);
      const width = view.getUint16(a + 4), height = view.getUint16(a + 6);
      ctx.drawImage(strip, 0, y, width, height, left, top, width, height);
      y += height;
    }
    strip.close();
  }
  function enqueue(work) {
    queue = queue.then(work).catch(() => {}).then(markShown);
  }
  function shownBy(id, step, figure) {
    current = id; at = step; epoch = figure; painted += 1;
  }

  function onFull() {
    const [view, id] = [model.get("full"), model.get("full_id")];
    const [step, figure] = [model.get("shown_step"), model.get("epoch")];
    enqueue(async () => {
      if (!view || !view.byteLength) return;
      await drawFull(bytesOf(view, 0, view.byteLength));
      shownBy(id, step, figure);
    });
  }
  function onPatch() {
    const [view, id, base] = [model.get("patch"), model.get("patch_id"), model.get("patch_base")];
    const [step, figure] = [model.get("shown_step"), model.get("epoch")];
    enqueue(async () => {
      if (base !== current) {  // not the picture this patch was made for
        if (id > current) model.send({ want: "full" });
        return;
      }
      await drawPatch(new DataView(view.buffer, view.byteOffset, view.byteLength));
      shownBy(id, step, figure);
    });
  }
  model.on("change:full_id", onFull);
  model.on("change:patch_id", onPatch);
  onFull();  // what the model holds already (a reload, a second view)
  if (model.get("patch_id") > model.get("full_id")) onPatch();

  // ------------------------------------------------------------------ Play from clips
  let play = null;
  async function playTo(target) {
    // runs in the queue: paste the clip's steps from the one on the canvas to Play's,
    // if all of them are here (if not, the next clip or tick catches up)
    if (!play || !play.get("playing") || epoch !== clipEpoch || at < 0 || clipCount < 2) return;
    const steps = [];
    for (let s = at; s !== target && steps.length <= clipCount; ) {
      s = (s + 1) % clipCount;
      if (!clip.has(s)) return;
      steps.push(s);
    }
    if (!steps.length) return;
    for (const s of steps) {
      const { kind, bytes } = clip.get(s);
      if (kind === 1) await drawFull(bytes);
      else await drawPatch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      at = s;
    }
    current = -1;  // a kernel patch would not fit this picture: it sends a whole frame instead
    painted += 1;
  }
  model.on("change:clip_id", () => {
    const view = model.get("clip");
    if (model.get("clip_epoch") !== clipEpoch) {
      clip = new Map(); clipEpoch = model.get("clip_epoch");
    }
    clipCount = model.get("clip_count");
    for (const entry of readClip(new DataView(view.buffer, view.byteOffset, view.byteLength))) {
      clip.set(entry.step, entry);
    }
    canvas.dataset.clipSteps = String(clip.size);
    if (play) enqueue(() => playTo(play.get("value") - model.get("play_first")));
  });
  const ref = model.get("play");
  if (host && typeof host.getModel === "function" && typeof ref === "string") {
    try {
      // ipywidgets names a widget "IPY_MODEL_<id>"; anywidget's host takes "anywidget:<id>"
      play = await host.getModel(ref.replace(/^IPY_MODEL_/, "anywidget:"));
      play.on("change:value", () => enqueue(() => playTo(play.get("value") - model.get("play_first"))));
      canvas.dataset.player = "browser";  // Play steps through clips here (tests read it)
    } catch (error) {
      console.warn("cnnviz: Play asks the kernel for every step:", error);
      play = null;  // as it would without clips
    }
  }
}
export default { render };
