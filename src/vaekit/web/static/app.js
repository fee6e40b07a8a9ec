// vaekit latent explorer: talks only to this server's JSON API (see /api/openapi.json).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, map: null, z: [], melody: null, attrZ: null, ends: {} };

// A conditional run decodes every latent as a class: the picked one goes with each request.
function withLabel(body) {
  return state.info && state.info.classes ? { ...body, label: parseInt($("label").value, 10) }
    : body;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function api(path, body, form) {
  const init = body === undefined && !form ? {} : {
    method: "POST",
    headers: form ? {} : { "Content-Type": "application/json" },
    body: form || JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return path === "/api/midi" ? response.blob() : response.json();
}

function thumb(decoded, i, onClick) {
  let el;
  if (decoded.images) {
    el = document.createElement("img");
    el.src = decoded.images[i];
    el.className = "pixelated thumb";
    el.alt = `decoding ${i + 1}`;
  } else {
    el = document.createElement("canvas");
    el.width = 160; el.height = 80; el.className = "roll thumb";
    drawRoll(el, decoded.melodies[i]);
  }
  if (onClick) {
    el.tabIndex = 0;
    el.title = "click to explore this point";
    el.addEventListener("click", () => onClick(decoded.z[i]));
  }
  return el;
}

function fillThumbs(container, decoded, onClick) {
  container.replaceChildren(...decoded.z.map((_, i) => thumb(decoded, i, onClick)));
}

function showDecoded(decoded) {
  if (decoded.images) {
    $("decoded").src = decoded.images[0];
  } else {
    state.melody = decoded.melodies[0];
    drawRoll($("roll"), state.melody);
  }
  drawMap();
}

// --- the latent and its sliders ------------------------------------------------------

function setZ(z) {
  state.z = z.slice();
  const shown = state.info.slider_dims;
  for (let i = 0; i < shown; i++) {
    $(`z${i}`).value = z[i];
    $(`z${i}-value`).textContent = z[i].toFixed(2);
  }
  $("z-text").textContent = "z = [" + z.slice(0, 8).map((v) => v.toFixed(2)).join(", ") +
    (z.length > 8 ? ", …]" : "]");
}

// Throttle: at most one request in flight per control; while it runs, only the latest
// state waits (slider drags send as fast as the server answers, never a backlog).
function coalesced(fn) {
  let running = false, again = false;
  return async function run() {
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; setTimeout(run, 30); }
    }
  };
}

const requestDecode = coalesced(async () => {
  try {
    const t0 = performance.now();
    showDecoded(await api("/api/decode", withLabel({ z: state.z })));
    status(`decoded in ${Math.round(performance.now() - t0)} ms`);
  } catch (e) {
    status(e.message, true);
  }
  refreshAttribute();
});

function explore(z) {
  const zMax = state.info.z_max;
  setZ(z.map((v) => Math.max(-zMax, Math.min(zMax, v))));
  requestDecode();
}

function buildSliders() {
  const { latent_dim: d, slider_dims: shown } = state.info;
  $("slider-hint").textContent = shown < d
    ? `sliders for the first ${shown} of ${d} dimensions; the others keep their values`
    : `${d} dimensions; drag to decode`;
  const rows = [];
  for (let i = 0; i < shown; i++) {
    const row = document.createElement("div");
    row.className = "slider";
    const label = document.createElement("label");
    label.htmlFor = `z${i}`;
    label.textContent = `z${i + 1}`;
    const input = document.createElement("input");
    Object.assign(input, { type: "range", id: `z${i}`, min: -4, max: 4, step: 0.01, value: 0 });
    const out = document.createElement("output");
    out.id = `z${i}-value`;
    input.addEventListener("input", () => {
      state.z[i] = parseFloat(input.value);
      out.textContent = state.z[i].toFixed(2);
      requestDecode();
    });
    row.append(label, input, out);
    rows.push(row);
  }
  $("sliders").replaceChildren(...rows);
}

// --- the latent map ------------------------------------------------------------------

function drawMap() {
  if (!state.map) return;
  const { origin, axes } = state.map;
  const uv = axes.map((ax) => ax.reduce((s, ai, j) => s + ai * (state.z[j] - origin[j]), 0));
  drawLatentMap($("map"), state.map.points, state.map.labels, uv);
}

function buildMap() {
  const m = state.map, legend = [];
  $("map-hint").textContent = `${m.points.length} test encodings (${m.projection}); ` +
    "click anywhere to decode that point";
  if (m.labels) {
    [...new Set(m.labels)].sort((a, b) => a - b).forEach((k) => {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = m.label_names ? m.label_names[k] : `class ${k}`;
      chip.style.setProperty("--c", COLORS[k % COLORS.length]);
      legend.push(chip);
    });
  }
  $("legend").replaceChildren(...legend);
  $("map").addEventListener("click", (ev) => {
    const canvas = $("map"), rect = canvas.getBoundingClientRect();
    const px = (ev.clientX - rect.left) * canvas.width / rect.width;
    const py = (ev.clientY - rect.top) * canvas.height / rect.height;
    const [u, v] = mapFrame(canvas, m.points).fromPx(px, py);
    explore(m.origin.map((o, j) => o + u * m.axes[0][j] + v * m.axes[1][j]));
  });
}

// --- attribute vectors, samples, interpolation, MIDI ---------------------------------

const refreshAttribute = coalesced(async () => {
  const name = $("attribute").value, scale = parseFloat($("scale").value);
  $("scale-value").textContent = scale.toFixed(2);
  if (!name) return;
  const a = state.info.attributes.find((x) => x.name === name);
  $("attribute-description").textContent = a ? a.description : "";
  try {
    const r = await api("/api/attribute", withLabel({ name, scale, z: state.z }));
    state.attrZ = r.z[0];
    if (r.images) $("attribute-result").src = r.images[0];
    else drawRoll($("attribute-roll"), r.melodies[0]);
  } catch (e) { status(e.message, true); }
});

function endOf(which) {
  const z = state.ends[which];
  return z ? { [`z_${which}`]: z } : { [`${which}_index`]: parseInt($(`${which}-index`).value, 10) };
}

async function previewEnd(which, useFile) {
  const file = $(`${which}-file`).files[0];
  try {
    let r;
    if (useFile && file) {
      const form = new FormData();
      form.append("file", file);
      form.append("invert", $("invert").checked ? "true" : "false");
      if (state.info.classes) form.append("label", $("label").value);
      r = await api("/api/encode", undefined, form);
      state.ends[which] = r.z[0];
    } else {
      state.ends[which] = null;
      $(`${which}-file`).value = "";
      r = await api(`/api/example/${parseInt($(`${which}-index`).value, 10)}`);
    }
    const shown = r.inputs ? { z: r.z, images: r.inputs }
      : r.input_melodies ? { z: r.z, melodies: r.input_melodies } : r;
    fillThumbs($(`${which}-preview`), shown, explore);
  } catch (e) { status(e.message, true); }
}

async function interpolate() {
  try {
    const body = withLabel({ ...endOf("from"), ...endOf("to"),
                             steps: parseInt($("steps").value, 10), method: $("method").value });
    fillThumbs($("strip"), await api("/api/interpolate", body), explore);
    status(`interpolated in ${body.steps} steps (${body.method})`);
  } catch (e) { status(e.message, true); }
}

async function sample() {
  try {
    const temperature = parseFloat($("temperature").value), sampler = $("sampler").value;
    if (sampler === "gmm") status("sampling (the first mixture sample fits the mixture once)…");
    const r = await api("/api/sample", withLabel({ n: 8, temperature, sampler }));
    fillThumbs($("samples"), r, explore);
    explore(r.z[0]);
    status(`8 ${sampler} samples at temperature ${temperature.toFixed(2)} (seed ${r.seed_used})`);
  } catch (e) { status(e.message, true); }
}

async function downloadMidi() {
  try {
    const blob = await api("/api/midi", { events: state.melody.events });
    const link = Object.assign(document.createElement("a"),
                               { href: URL.createObjectURL(blob), download: "melody.mid" });
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (e) { status(e.message, true); }
}

// --- start ---------------------------------------------------------------------------

function showInfo(info) {
  $("run-name").textContent = info.run;
  document.title = `${info.run} · vaekit latent explorer`;
  $("summary").replaceChildren(...info.summary.flatMap(({ name, value }) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = name; dd.textContent = value;
    return [dt, dd];
  }));
  const melody = info.kind === "melody";
  $("decoded").hidden = melody; $("roll").hidden = !melody; $("midi-row").hidden = !melody;
  $("attribute-result").hidden = melody; $("attribute-roll").hidden = !melody;
  for (const id of ["from-file", "to-file", "invert-label"]) $(id).hidden = melody;
  for (const el of document.querySelectorAll("label.upload")) el.hidden = melody;
  const last = info.test_examples - 1;
  for (const id of ["from-index", "to-index"]) $(id).max = last;
  $("attribute-block").hidden = info.attributes.length === 0;
  $("label-row").hidden = !info.classes;
  $("sampler").value = info.default_sampler;  // conditional runs: the per-class mixtures
  if (info.classes) {
    $("label").replaceChildren(...Array.from({ length: info.classes }, (_, k) =>
      Object.assign(document.createElement("option"), {
        value: String(k), textContent: info.label_names ? info.label_names[k] : `class ${k}`,
      })));
  }
  $("attribute").replaceChildren(...info.attributes.map(({ name }) =>
    Object.assign(document.createElement("option"), { value: name, textContent: name })));
}

async function start() {
  try {
    [state.info, state.map] = await Promise.all([api("/api/info"), api("/api/map")]);
  } catch (e) { status(`could not load the run: ${e.message}`, true); return; }
  showInfo(state.info);
  buildSliders();
  buildMap();
  $("reset").addEventListener("click", () => explore(new Array(state.info.latent_dim).fill(0)));
  $("temperature").addEventListener("input", () => {
    $("temperature-value").textContent = parseFloat($("temperature").value).toFixed(2);
  });
  $("sample").addEventListener("click", sample);
  $("label").addEventListener("change", () => requestDecode());
  $("attribute").addEventListener("change", refreshAttribute);
  $("scale").addEventListener("input", refreshAttribute);
  $("attribute-apply").addEventListener("click", () => state.attrZ && explore(state.attrZ));
  $("midi").addEventListener("click", downloadMidi);
  $("interpolate").addEventListener("click", interpolate);
  for (const which of ["from", "to"]) {
    $(`${which}-index`).addEventListener("change", () => previewEnd(which, false));
    $(`${which}-file`).addEventListener("change", () => previewEnd(which, true));
    previewEnd(which, false);
  }
  explore(new Array(state.info.latent_dim).fill(0));
  document.body.dataset.ready = "true";
}

start();
