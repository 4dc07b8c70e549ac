function pngBitmap(view, offset, length) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, length);
  return createImageBitmap(new Blob([bytes], { type: "image/png" }));
}

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "widget-image cnnviz-frame";
  img.alt = model.get("alt");
  model.on("change:alt", () => { img.alt = model.get("alt"); });  // a text alternative
  el.append(img);
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  let current = -1, pending = 0, queue = Promise.resolve(), url = null, shown = 0;

  async function publish() {
    // a newer step is already queued: show that one instead, unless none showed for 30 ms
    if (pending > 0 && performance.now() - shown < 30) return;
    shown = performance.now();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const old = url;
    url = URL.createObjectURL(blob);
    img.src = url;
    if (old) img.addEventListener("load", () => URL.revokeObjectURL(old), { once: true });
  }
  async function drawFull(view, id) {
    if (!view || !view.byteLength) return;
    const bitmap = await pngBitmap(view, 0, view.byteLength);
    canvas.width = bitmap.width; canvas.height = bitmap.height;
    ctx.drawImage(bitmap, 0, 0);
    current = id;
  }
  async function drawPatch(view, id, base) {
    if (base !== current) {  // not the picture this patch was made for
      if (id > current) model.send({ want: "full" });
      return;
    }
    const count = view.getUint16(0), table = 2 + 8 * count;
    const strip = await pngBitmap(view, table, view.byteLength - table);  // one decode a step
    for (let n = 0, y = 0; n < count; n++) {
      const at = 2 + 8 * n;
      const left = view.getUint16(at), top = view.getUint16(at + 2);
      const width = view.getUint16(at + 4), height = view.getUint16(at + 6);
      ctx.drawImage(strip, 0, y, width, height, left, top, width, height);
      y += height;
    }
    current = id;
  }
  function enqueue(work) {
    pending += 1;
    queue = queue.then(work).catch(() => {}).then(() => { pending -= 1; return publish(); });
  }
  model.on("change:full_id", () => {
    const view = model.get("full"), id = model.get("full_id");
    enqueue(() => drawFull(view, id));
  });
  model.on("change:patch_id", () => {
    const view = model.get("patch"), id = model.get("patch_id"), base = model.get("patch_base");
    enqueue(() => drawPatch(view, id, base));
  });
  const [full, fullId] = [model.get("full"), model.get("full_id")];
  enqueue(() => drawFull(full, fullId));
  const [patch, patchId, patchBase] = [model.get("patch"), model.get("patch_id"),
                                       model.get("patch_base")];
  if (patchId > fullId) enqueue(() => drawPatch(patch, patchId, patchBase));
}
export default { render };
