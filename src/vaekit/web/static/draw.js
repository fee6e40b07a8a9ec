// Drawing on <canvas> for the latent explorer: piano rolls and the latent map.
// Plain functions over plain data (no requests, no page state); app.js calls them.
"use strict";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function drawRoll(canvas, melody) {
  const ctx = canvas.getContext("2d");
  const steps = melody.events.length;
  const pitches = melody.notes.map((n) => n[0]);
  const lo = Math.min(60, ...pitches) - 2, hi = Math.max(72, ...pitches) + 2;
  const w = canvas.width / steps, h = canvas.height / (hi - lo + 1);
  ctx.fillStyle = "#fbfbfd";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let p = lo; p <= hi; p++) {  // black keys shaded, as on a keyboard
    if ([1, 3, 6, 8, 10].includes(p % 12)) {
      ctx.fillStyle = "#eef0f4";
      ctx.fillRect(0, canvas.height - (p - lo + 1) * h, canvas.width, h);
    }
  }
  ctx.strokeStyle = "#d0d4dc";
  for (let s = 0; s <= steps; s += 4) {  // a line every quarter note
    ctx.beginPath(); ctx.moveTo(s * w, 0); ctx.lineTo(s * w, canvas.height); ctx.stroke();
  }
  ctx.fillStyle = "#3b5bdb";
  for (const [pitch, start, length] of melody.notes) {
    ctx.fillRect(start * w + 1, canvas.height - (pitch - lo + 1) * h + 1,
                 length * w - 2, Math.max(h - 2, 1));
  }
}


// Map coordinates (u, v) <-> canvas pixels, framing all points with a 5% margin.
function mapFrame(canvas, points) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [u, v] of points) {
    x0 = Math.min(x0, u); x1 = Math.max(x1, u); y0 = Math.min(y0, v); y1 = Math.max(y1, v);
  }
  if (!points.length) { x0 = y0 = -3; x1 = y1 = 3; }
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-3);
  x0 -= pad; x1 += pad; y0 -= pad; y1 += pad;
  const sx = canvas.width / (x1 - x0), sy = canvas.height / (y1 - y0);
  return {
    toPx: (u, v) => [(u - x0) * sx, canvas.height - (v - y0) * sy],
    fromPx: (px, py) => [x0 + px / sx, y0 + (canvas.height - py) / sy],
  };
}

// Points coloured by label, and a crosshair at `marker` = (u, v), the current z.
function drawLatentMap(canvas, points, labels, marker) {
  const ctx = canvas.getContext("2d"), frame = mapFrame(canvas, points);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = 0.6;
  points.forEach(([u, v], i) => {
    ctx.fillStyle = COLORS[(labels ? labels[i] : 0) % COLORS.length];
    const [px, py] = frame.toPx(u, v);
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  });
  ctx.globalAlpha = 1;
  const [px, py] = frame.toPx(marker[0], marker[1]);
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 2;
  ctx.beginPath(); ctx.arc(px, py, 7, 0, 2 * Math.PI); ctx.stroke();
  ctx.beginPath(); ctx.moveTo(px - 11, py); ctx.lineTo(px + 11, py);
  ctx.moveTo(px, py - 11); ctx.lineTo(px, py + 11); ctx.stroke();
}
