// teethseg page: upload a radiograph to /v1/segment, then draw its teeth from the label map.
// Plain JavaScript, no library: everything comes from this server.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const range = (a, b) => Array.from({ length: Math.abs(b - a) + 1 }, (_, i) => a + (b > a ? i : -i));
  const UPPER = [range(18, 11), range(21, 28)];
  const LOWER = [range(48, 41), range(31, 38)];
  const TITLES = { 0: "No connection", 400: "Bad request", 401: "API key needed", 404: "Result expired",
    413: "File too large", 415: "Not an image", 422: "Image refused", 500: "Server error", 503: "Server busy" };
  const HELP = {
    401: "This server needs an API key: enter it at the top of the page.",
    404: "Results are kept for a limited time; upload the radiograph again.",
    413: "Send a smaller file, or ask for a higher --max-upload-mb.",
    415: "Use a JPEG, PNG, TIFF, BMP or DICOM radiograph.",
    422: "teethseg cannot segment this image.",
    503: "Try again in a few seconds.",
  };

  const state = {
    key: sessionStorage.getItem("teethseg-key") || "", classes: [], limitMb: 50,
    results: [], frame: 0, record: null, view: null, selected: 0,
  };
  const canvas = $("view");
  const ctx = canvas.getContext("2d");

  // ---- server -------------------------------------------------------------------------------
  const authHeaders = () => (state.key ? { "X-API-Key": state.key } : {});

  async function errorText(response) {
    try { return (await response.json()).error || `HTTP ${response.status}`; } catch { return `HTTP ${response.status}`; }
  }

  function setStatus(kind, text) { $("status").dataset.state = kind; $("status-text").textContent = text; }

  async function connect() {
    try {
      const response = await fetch("/v1/model", { headers: authHeaders() });
      if (response.status === 401) {
        setStatus("error", "API key needed"); $("key-form").hidden = false; return;
      }
      if (response.status === 503) { setStatus("loading", "Loading the model…"); setTimeout(connect, 1000); return; }
      if (!response.ok) { setStatus("error", await errorText(response)); return; }
      const model = await response.json();
      state.classes = model.classes;
      state.limitMb = model.max_upload_mb;
      $("limit").textContent = String(model.max_upload_mb);
      $("model-line").textContent = `${model.name} · teethseg ${model.teethseg_version}`;
      setStatus("ready", "Model ready");
      $("key-form").hidden = !state.key;
    } catch {
      setStatus("error", "Server unreachable"); setTimeout(connect, 3000);
    }
  }

  // ---- messages and progress ------------------------------------------------------------------
  function showError(status, message) {
    $("alert-title").textContent = TITLES[status] || `Error ${status}`;
    $("alert-text").textContent = message + (HELP[status] ? ` ${HELP[status]}` : "");
    $("alert").hidden = false;
    $("alert").dataset.status = String(status);
  }
  const hideError = () => { $("alert").hidden = true; };

  function showStage(which) {
    $("drop").hidden = which !== "drop";
    $("progress").hidden = which !== "progress";
    $("viewer").hidden = which !== "viewer";
    $("layers").hidden = which !== "viewer";
  }
  function progress(text, fraction) {
    showStage("progress");
    $("progress-text").textContent = text;
    const fill = $("progress-fill");
    fill.classList.toggle("busy", fraction === null);
    if (fraction !== null) fill.style.width = `${Math.round(100 * fraction)}%`;
  }
  const restoreStage = () => showStage(state.view ? "viewer" : "drop");

  // ---- upload -------------------------------------------------------------------------------
  function upload(file) {
    if (!file) return;
    hideError();
    if (file.size > state.limitMb * 1e6) {
      showError(413, `${file.name}: upload over the ${state.limitMb} MB limit`); return;
    }
    const form = new FormData();
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/v1/segment?mirror=${$("mirror").checked}`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress("Uploading…", e.loaded / e.total); };
    xhr.upload.onload = () => progress("Finding and numbering the teeth…", null);
    xhr.onload = async () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON: reported below */ }
      if (xhr.status !== 200 || !body) {
        restoreStage();
        showError(xhr.status, (body && body.error) || `the server answered HTTP ${xhr.status}`);
        if (xhr.status === 401) $("key-form").hidden = false;
        return;
      }
      try {
        await showResults(body.results || [body]);
      } catch (error) {
        restoreStage(); showError(error.status || 0, error.message);
      }
    };
    xhr.onerror = () => { restoreStage(); showError(0, "Could not reach the teethseg server."); };
    progress("Uploading…", 0);
    xhr.send(form);
  }

  async function fetchBlob(url) {
    const response = await fetch(url, { headers: authHeaders() });
    if (!response.ok) {
      const error = new Error(await errorText(response)); error.status = response.status; throw error;
    }
    return response.blob();
  }
  async function loadBitmap(url) {
    return createImageBitmap(await fetchBlob(url), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  }

  // ---- one result -----------------------------------------------------------------------------
  async function showResults(results) {
    state.results = results;
    $("frames").hidden = results.length < 2;
    await showFrame(0);
  }

  async function showFrame(index) {
    state.frame = index;
    const record = state.results[index];
    $("frame-text").textContent = `Frame ${index + 1} of ${state.results.length}`;
    progress("Drawing the teeth…", null);
    canvas.dataset.ready = "false";
    const [image, labelMap] = await Promise.all([
      loadBitmap(record.files.image), loadBitmap(record.files.teeth || record.files.mask)]);
    state.record = record;
    state.view = analyse(image, labelMap, Boolean(record.files.teeth));
    state.selected = 0;
    canvas.width = image.width; canvas.height = image.height;
    canvas.dataset.width = String(image.width); canvas.dataset.height = String(image.height);
    showStage("viewer");
    fillPanel(record);
    render();
    canvas.dataset.ready = "true";
  }

  function colour(value) {
    const hue = (value * 47) % 360, s = 0.72, l = 0.55;
    const k = (n) => (n + hue / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    const f = (n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
    return [f(0), f(8), f(4)];
  }

  function layer(width, height) {
    const c = document.createElement("canvas"); c.width = width; c.height = height; return c;
  }

  // Label per pixel, centroid and edge of each tooth, and the coloured layer drawn over the radiograph.
  function analyse(image, labelMap, numbered) {
    const { width, height } = image;
    const scratch = layer(width, height).getContext("2d", { willReadFrequently: true });
    scratch.drawImage(labelMap, 0, 0);
    const rgba = scratch.getImageData(0, 0, width, height).data;
    const labels = new Uint8Array(width * height);
    for (let i = 0; i < labels.length; i++) labels[i] = numbered ? rgba[4 * i] : (rgba[4 * i] > 127 ? 1 : 0);
    const sums = new Map();
    const fill = scratch.createImageData(width, height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x, v = labels[i];
        if (!v) continue;
        const s = sums.get(v) || { n: 0, x: 0, y: 0 };
        s.n++; s.x += x; s.y += y; sums.set(v, s);
        const [r, g, b] = colour(v);
        fill.data.set([r, g, b, 255], 4 * i);
      }
    }
    const fillLayer = layer(width, height);
    fillLayer.getContext("2d").putImageData(fill, 0, 0);
    const centres = new Map([...sums].map(([v, s]) => [v, [s.x / s.n, s.y / s.n]]));
    return { image, width, height, labels, numbered, fillLayer, centres, outlines: new Map() };
  }

  // A layer with the edge pixels of the teeth with these label values, in one colour.
  function outline(values, rgb) {
    const { width, height, labels } = state.view;
    const key = `${[...values].join(",")}|${rgb}`;
    if (state.view.outlines.has(key)) return state.view.outlines.get(key);
    const c = layer(width, height), g = c.getContext("2d"), data = g.createImageData(width, height);
    const thick = Math.max(1, Math.round(Math.max(width, height) / 500));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = labels[y * width + x];
        if (!values.has(v)) continue;
        let edge = false;
        for (let d = 1; d <= thick && !edge; d++) {
          edge = x < d || y < d || x >= width - d || y >= height - d
            || labels[y * width + x - d] !== v || labels[y * width + x + d] !== v
            || labels[(y - d) * width + x] !== v || labels[(y + d) * width + x] !== v;
        }
        if (edge) data.data.set([...rgb, 255], 4 * (y * width + x));
      }
    }
    g.putImageData(data, 0, 0);
    state.view.outlines.set(key, c);
    return c;
  }

  const fdiOf = (value) => (state.view.numbered ? parseInt(state.classes[value], 10) : null);
  const valueOf = (fdi) => state.classes.indexOf(String(fdi));
  const recordOf = (value) => {
    const fdi = fdiOf(value);
    return fdi ? state.record.teeth.find((t) => t.fdi === fdi) : null;
  };
  const showsNumbers = () => state.view.numbered && !state.record.close_view;
  const toCheck = () => new Set(state.record.numbers_to_check || []);

  function render() {
    const view = state.view;
    if (!view) return;
    const { width, height } = view;
    ctx.globalAlpha = 1;
    ctx.drawImage(view.image, 0, 0);
    if ($("show-mask").checked) {
      ctx.globalAlpha = Number($("opacity").value) / 100;
      ctx.drawImage(view.fillLayer, 0, 0);
      ctx.globalAlpha = 1;
    }
    const check = toCheck();
    if ($("show-check").checked && check.size) {
      ctx.drawImage(outline(new Set([...check].map(valueOf)), [255, 170, 0]), 0, 0);
    }
    if (state.selected) {
      ctx.fillStyle = "rgba(0,0,0,0.45)";
      ctx.fillRect(0, 0, width, height);
      const [x, y, w, h] = (recordOf(state.selected) || { bbox_xywh: [0, 0, 0, 0] }).bbox_xywh;
      ctx.drawImage(view.image, x, y, w, h, x, y, w, h);
      ctx.globalAlpha = Math.max(0.35, Number($("opacity").value) / 100);
      ctx.drawImage(view.fillLayer, x, y, w, h, x, y, w, h);
      ctx.globalAlpha = 1;
      ctx.drawImage(outline(new Set([state.selected]), [255, 255, 255]), 0, 0);
    }
    if ($("show-numbers").checked && showsNumbers()) {
      const perCssPixel = width / (canvas.clientWidth || width);  // numbers 13 px high on screen, whatever the zoom
      const size = Math.max(6, Math.round(13 * perCssPixel));
      ctx.font = `700 ${size}px system-ui, sans-serif`;
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.lineJoin = "round"; ctx.lineWidth = Math.max(2, size / 5);
      for (const [value, [cx, cy]] of view.centres) {
        const fdi = fdiOf(value);
        const unsure = check.has(fdi) && $("show-check").checked;
        const text = `${fdi}${unsure ? "?" : ""}`;
        ctx.strokeStyle = "rgba(0,0,0,0.85)"; ctx.strokeText(text, cx, cy);
        ctx.fillStyle = unsure ? "#ffb300" : "#fff"; ctx.fillText(text, cx, cy);
      }
    }
  }

  // ---- panel: facts, chart, tooth details, downloads ------------------------------------------
  function fillPanel(record) {
    $("summary-empty").hidden = true;
    $("facts").hidden = false;
    $("tooth-count").textContent = String(record.teeth_count);
    const check = record.numbers_to_check || [];
    $("check-count").textContent = showsNumbers() ? (check.length ? check.join(", ") : "none") : "–";
    const missing = record.missing_fdi;
    $("missing").textContent = missing ? (missing.length ? missing.join(", ") : "none") : "–";
    $("source").textContent = `${record.source} · ${record.width} × ${record.height} px`;
    const notes = [];
    if (record.close_view) notes.push("Close view: mask by the close-up network; FDI numbers are unsure and not drawn.");
    if (record.inverted) notes.push("Stored as a negative: segmented inverted.");
    if (record.second_look) notes.push(`Teeth ${record.second_look.tooth_scale}× their typical size: segmented again, framed as in training.`);
    if (record.bright_frame_cut) notes.push("A white frame around the radiograph was cut off first.");
    if (!state.view.numbered) notes.push("This model finds teeth without numbering them.");
    $("notes").textContent = notes.join(" ");
    $("notes").hidden = !notes.length;
    buildChart(record);
    showDetail(0);
    for (const button of document.querySelectorAll(".downloads button")) {
      button.disabled = !record.files[button.dataset.file];
    }
  }

  function buildChart(record) {
    const chart = $("chart");
    chart.textContent = "";
    const found = new Set(record.teeth.map((t) => t.fdi));
    const check = new Set(record.numbers_to_check || []);
    const rows = [UPPER, LOWER];
    rows.forEach((halves, row) => {
      if (row === 1) chart.append(Object.assign(document.createElement("div"), { className: "row-gap" }));
      const holder = document.createElement("div");
      holder.className = row ? "lower" : "upper";
      holder.style.display = "contents";
      halves.forEach((half, side) => {
        if (side === 1) holder.append(Object.assign(document.createElement("div"), { className: "gap" }));
        for (const fdi of half) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "tooth";
          button.dataset.fdi = String(fdi);
          button.textContent = String(fdi);
          const kind = !state.view.numbered ? "missing" : check.has(fdi) ? "check" : found.has(fdi) ? "found" : "missing";
          button.classList.add(kind);
          button.title = `${fdi}: ${kind === "check" ? "found, number to check" : kind === "found" ? "found" : "not found"}`;
          button.disabled = kind === "missing";
          button.addEventListener("click", () => select(valueOf(fdi)));
          holder.append(button);
        }
      });
      chart.append(holder);
    });
  }

  function select(value) {
    state.selected = state.selected === value ? 0 : value;
    for (const button of document.querySelectorAll(".tooth")) {
      button.classList.toggle("selected", state.selected > 0 && Number(button.dataset.fdi) === fdiOf(state.selected));
    }
    showDetail(state.selected);
    render();
  }

  function describe(tooth) {
    const check = toCheck().has(tooth.fdi);
    const area = tooth.area_mm2 !== undefined ? `${tooth.area_mm2.toFixed(1)} mm²` : `${tooth.area_px.toLocaleString("en")} px`;
    return { check, area, confidence: `${Math.round(100 * tooth.confidence)} %` };
  }

  function showDetail(value) {
    const tooth = value ? recordOf(value) : null;
    const holder = $("detail-card");
    holder.querySelector(".detail")?.remove();
    $("detail").hidden = Boolean(tooth);
    if (!tooth) return;
    const { check, area, confidence } = describe(tooth);
    const list = document.createElement("dl");
    list.className = "detail";
    const rows = [["FDI", String(tooth.fdi)], ["Area", area], ["Confidence", confidence],
      ["Number", check ? "to check (low confidence)" : showsNumbers() ? "sure" : "unsure (close view)"],
      ["Box", tooth.bbox_xywh.join(", ")]];
    for (const [name, text] of rows) {
      list.append(Object.assign(document.createElement("dt"), { textContent: name }),
        Object.assign(document.createElement("dd"), { textContent: text }));
    }
    holder.append(list);
  }

  // ---- pointing at the radiograph ---------------------------------------------------------------
  function valueAt(event) {
    const box = canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * state.view.width);
    const y = Math.floor(((event.clientY - box.top) / box.height) * state.view.height);
    if (x < 0 || y < 0 || x >= state.view.width || y >= state.view.height) return 0;
    return state.view.labels[y * state.view.width + x];
  }

  function hover(event) {
    const tip = $("tooltip");
    const value = state.view ? valueAt(event) : 0;
    const tooth = value ? recordOf(value) : null;
    if (!tooth) { tip.hidden = true; delete tip.dataset.fdi; return; }
    const { check, area, confidence } = describe(tooth);
    tip.textContent = "";
    tip.append(Object.assign(document.createElement("b"), { textContent: `Tooth ${tooth.fdi}${check ? " ?" : ""}` }),
      document.createElement("br"), `${area} · confidence ${confidence}`);
    if (check) tip.append(document.createElement("br"), "number to check");
    tip.dataset.fdi = String(tooth.fdi);
    tip.hidden = false;
    const box = $("viewer").getBoundingClientRect();
    const x = event.clientX - box.left, y = event.clientY - box.top;
    tip.style.left = `${x}px`; tip.style.top = `${y}px`;
    tip.style.transform = `translate(${x > box.width - 200 ? "calc(-100% - 12px)" : "12px"}, ${y > box.height - 80 ? "calc(-100% - 12px)" : "12px"})`;
  }

  // ---- downloads ------------------------------------------------------------------------------
  async function download(kind) {
    const record = state.record;
    const stem = (record.source || "radiograph").replace(/\.[^.]*$/, "") + (state.results.length > 1 ? `_frame${String(state.frame).padStart(3, "0")}` : "");
    const names = { mask: `${stem}_mask.png`, teeth: `${stem}_teeth.png`, overlay: `${stem}_overlay.png`, record: `${stem}.json` };
    try {
      const url = URL.createObjectURL(await fetchBlob(record.files[kind]));
      const link = Object.assign(document.createElement("a"), { href: url, download: names[kind] });
      document.body.append(link); link.click(); link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) { showError(error.status || 0, error.message); }
  }

  // ---- wiring -------------------------------------------------------------------------------
  $("file").addEventListener("change", (e) => { upload(e.target.files[0]); e.target.value = ""; });
  const stage = $("stage");
  for (const name of ["dragenter", "dragover"]) {
    document.addEventListener(name, (e) => { e.preventDefault(); stage.classList.add("dragging"); });
  }
  for (const name of ["dragleave", "drop"]) {
    document.addEventListener(name, (e) => { e.preventDefault(); if (name === "drop" || !e.relatedTarget) stage.classList.remove("dragging"); });
  }
  document.addEventListener("drop", (e) => upload(e.dataTransfer.files[0]));
  canvas.addEventListener("pointermove", hover);
  canvas.addEventListener("pointerleave", () => { $("tooltip").hidden = true; });
  canvas.addEventListener("click", (e) => { hover(e); const v = valueAt(e); if (v && recordOf(v)) select(v); });
  window.addEventListener("resize", render);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.selected) select(state.selected); });
  $("opacity").addEventListener("input", () => { $("opacity-out").textContent = `${$("opacity").value}%`; render(); });
  for (const id of ["show-mask", "show-numbers", "show-check"]) $(id).addEventListener("change", render);
  $("alert-close").addEventListener("click", hideError);
  $("frame-prev").addEventListener("click", () => showFrame((state.frame + state.results.length - 1) % state.results.length));
  $("frame-next").addEventListener("click", () => showFrame((state.frame + 1) % state.results.length));
  for (const button of document.querySelectorAll(".downloads button")) {
    button.addEventListener("click", () => download(button.dataset.file));
  }
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.key = $("key-input").value.trim();
    sessionStorage.setItem("teethseg-key", state.key);
    hideError(); connect();
  });
  connect();
})();
