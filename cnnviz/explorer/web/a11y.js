(function () {
  if (window.cnnvizA11y) { window.cnnvizA11y.schedule(); return; }
  const PLAY = ['Play', 'Stop: back to the first step', 'Repeat: start again at the end'];
  function nameSliders(root) {
    root.querySelectorAll('.widget-slider, .widget-play').forEach((box) => {
      const label = box.querySelector(':scope > .widget-label');
      const text = label ? label.textContent.trim() : '';
      box.querySelectorAll('[role="slider"]').forEach((handle) => {
        if (text && handle.getAttribute('aria-label') !== text) {
          handle.setAttribute('aria-label', text);
        }
      });
      // the value readout is an editable field (type a number, Enter): a named text box
      box.querySelectorAll('.widget-readout[contenteditable="true"]').forEach((field) => {
        if (text && field.getAttribute('aria-label') !== text + ', type a value') {
          field.setAttribute('role', 'textbox');
          field.setAttribute('aria-label', text + ', type a value');
        }
      });
    });
    root.querySelectorAll('label[title="null"]').forEach((l) => l.removeAttribute('title'));
  }
  function namePlayButtons(root) {
    root.querySelectorAll('.widget-play').forEach((play) => {
      play.querySelectorAll(':scope > button').forEach((button, n) => {
        let name = PLAY[n] || 'Play control';
        if (n === 0 && button.querySelector('.fa-pause')) { name = 'Pause'; }
        if (button.getAttribute('aria-label') !== name) {
          button.setAttribute('aria-label', name);
        }
        if (n === 2) {
          const on = String(button.classList.contains('mod-active'));
          if (button.getAttribute('aria-pressed') !== on) {
            button.setAttribute('aria-pressed', on);
          }
        }
      });
    });
  }
  function describeImages(root) {
    root.querySelectorAll('.cnnviz-alt-source [data-alt-for]').forEach((span) => {
      const text = span.textContent;
      document.querySelectorAll('img.' + span.dataset.altFor).forEach((img) => {
        if (img.alt !== text) { img.alt = text; }
      });
    });
  }
  function liveRegions(root) {
    root.querySelectorAll('.cnnviz-live > .widget-html-content').forEach((region) => {
      if (!region.hasAttribute('aria-live')) {
        region.setAttribute('role', 'status');
        region.setAttribute('aria-live', 'polite');
        region.setAttribute('aria-atomic', 'true');
      }
    });
  }
  function landmark() {
    // Voila 0.5's page has no main landmark (axe "region"): its cell column is the page's main
    const cells = document.body.dataset.voila && document.getElementById('rendered_cells');
    if (cells && !document.querySelector('main, [role="main"]')) {
      cells.setAttribute('role', 'main');
    }
  }
  function apply() {
    pending = false;
    landmark();
    nameSliders(document);
    namePlayButtons(document);
    describeImages(document);
    liveRegions(document);
  }
  let pending = false;
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(apply); }
  }
  // Space on a step handle next to a Play widget plays and pauses (arrows already step).
  document.addEventListener('keydown', (event) => {
    if (event.key !== ' ' || event.altKey || event.ctrlKey || event.metaKey) { return; }
    const handle = event.target.closest && event.target.closest('.noUi-handle');
    if (!handle) { return; }
    let box = handle.closest('.widget-slider');
    const row = box && box.parentElement;
    const play = row && row.querySelector(':scope > .widget-play > button');
    if (!play) { return; }
    event.preventDefault();
    play.click();
  }, true);
  new MutationObserver(schedule).observe(document.body, {
    childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ['class'],
  });
  window.cnnvizA11y = { apply: apply, schedule: schedule };
  apply();
})();
