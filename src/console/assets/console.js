// fundledger console: the only script. It verifies a project's audit chain in the browser,
// independently of the server: every event's SHA-256 over its canonical text, every prev_hash
// link and every seq. No framework, no build step.
"use strict";

const GENESIS = "0".repeat(64);

// SHA-256 of a string's UTF-8 bytes, as hex. WebCrypto where the page is a secure context
// (https, localhost); else the small implementation below, so an intranet http address works too.
async function sha256hex(text) {
  const bytes = new TextEncoder().encode(text);
  if (window.crypto && crypto.subtle) {
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return hex(new Uint8Array(digest));
  }
  return hex(sha256(bytes));
}

function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

// FIPS 180-4 SHA-256, used only without WebCrypto.
function sha256(msg) {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const len = msg.length, total = Math.ceil((len + 9) / 64) * 64;
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(total - 8, Math.floor(len / 0x20000000));
  view.setUint32(total - 4, (len * 8) >>> 0);
  const W = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  H.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}

// Checks one chain: returns {valid, events, brokenSeq, problem}. `progress(done, total)` is
// called as it goes.
async function verifyChain(lines, progress) {
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const e = JSON.parse(lines[i]);
    const fail = (problem) => ({ valid: false, events: lines.length, brokenSeq: e.seq, problem });
    if (e.seq !== i + 1) return fail("seq " + e.seq + " where " + (i + 1) + " was expected");
    if (e.prev_hash !== prev) return fail("prev_hash does not match the previous event's hash");
    // The canonical text is what was hashed; it must name this event's own seq and link.
    const canonical = JSON.parse(e.canonical);
    if (canonical.seq !== e.seq || canonical.prev_hash !== e.prev_hash) return fail("canonical text does not match the event");
    if ((await sha256hex(e.canonical)) !== e.hash) return fail("hash does not match the canonical text");
    prev = e.hash;
    if (i % 200 === 0) {
      progress(i + 1, lines.length);
      await new Promise((r) => setTimeout(r, 0)); // let the page repaint
    }
  }
  progress(lines.length, lines.length);
  return { valid: true, events: lines.length };
}

async function runVerification(section) {
  const bar = document.getElementById("verify-progress");
  const status = document.getElementById("verify-status");
  const verdict = document.getElementById("chain-verdict");
  const text = section.dataset;
  status.textContent = text.textVerifying;
  let result;
  try {
    const response = await fetch(text.trail, { credentials: "same-origin", headers: { Accept: "application/x-ndjson" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const lines = (await response.text()).split("\n").filter((l) => l.length > 0);
    result = await verifyChain(lines, (done, total) => {
      bar.max = total || 1;
      bar.value = done;
      status.textContent = text.textVerifying + " " + done + " / " + total;
    });
  } catch (err) {
    result = { valid: false, events: 0, problem: String(err) };
  }
  verdict.dataset.valid = String(result.valid);
  verdict.dataset.events = String(result.events);
  verdict.className = "verdict " + (result.valid ? "ok" : "bad");
  verdict.textContent = (result.valid ? "✔ " + text.textValid : "✘ " + text.textBroken) + ", " + result.events + " " + text.textEvents +
    (result.valid ? "" : " — " + (result.brokenSeq ? "#" + result.brokenSeq + ": " : "") + result.problem);
  status.textContent = "";
  // Set last: tests wait for this hook, so it appears only with the verdict.
  verdict.setAttribute("data-testid", "chain-verdict");
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("verify");
  if (section) runVerification(section);
});
