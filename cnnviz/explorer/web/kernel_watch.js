const GONE_STATUS = new Set(["dead", "restarting", "autorestarting"]);

function render({ model, el }) {
  const banner = document.createElement("div");
  banner.className = "cnnviz-kernel-banner";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  const words = document.createElement("span");
  const reload = document.createElement("button");
  reload.className = "jupyter-button mod-warning";
  reload.textContent = "Reload the page";
  reload.addEventListener("click", () => window.location.reload());
  banner.append(words, reload);
  el.append(banner);
  model.send({ event: "shown" });  // the page shows the explorer: the kernel may draw the rest
  const inLab = el.closest(".jp-NotebookPanel") !== null;  // Voila has no notebook panel
  let goneFor = null;  // why the banner shows: "gone" (final) or "connecting" (may recover)
  let timer = null;

  async function controls(disabled) {
    for (const ref of model.get("controls")) {
      const id = String(ref).replace(/^IPY_MODEL_/, "");
      try {
        const control = await model.widget_manager.get_model(id);
        if (disabled && control.get("playing")) control.set("playing", false);
        control.set("disabled", disabled);  // in the browser only: the kernel cannot hear
      } catch (error) { /* a control that is not on this page */ }
    }
  }

  function show(reason) {
    if (goneFor === "gone") return;
    goneFor = reason;
    words.textContent = inLab ? model.get("sentence_lab") : model.get("sentence");
    reload.hidden = inLab;
    banner.hidden = false;
    const root = el.closest("." + model.get("root_class")) || document.body;
    root.classList.add("cnnviz-kernel-gone");
    controls(true);
  }

  function recover() {
    if (goneFor !== "connecting") return;
    goneFor = null;
    banner.hidden = true;
    const root = el.closest("." + model.get("root_class")) || document.body;
    root.classList.remove("cnnviz-kernel-gone");
    controls(false);
  }

  const kernel = model.widget_manager && model.widget_manager.kernel;
  if (!kernel || !kernel.statusChanged) return;  // no live kernel (e.g. a static export)
  el.dataset.watching = "kernel";
  kernel.statusChanged.connect((_, status) => {
    if (GONE_STATUS.has(status)) show("gone");
  });
  kernel.connectionStatusChanged.connect((_, status) => {
    clearTimeout(timer);
    if (status === "disconnected") show("gone");
    else if (status === "connecting") timer = setTimeout(() => show("connecting"),
                                                         model.get("grace_ms"));
    else if (status === "connected") recover();
  });
  if (GONE_STATUS.has(kernel.status) || kernel.connectionStatus === "disconnected") show("gone");
}
export default { render };
