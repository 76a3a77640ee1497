// fundledger console: the voucher pages. On the entry form: Enter moves to the next cell, the
// debit and credit totals follow every keystroke, and each line is classified by the server as
// it is typed (the same classifier the API's /classify uses). Amounts are added in whole fen, as
// integers: no floating point touches money here either. On a voucher's page: the print button.
"use strict";

(function () {
  for (const b of document.querySelectorAll("[data-print]")) b.addEventListener("click", () => window.print());

  const form = document.getElementById("voucher-entry");
  if (!form) return;
  const body = document.getElementById("entry-lines");
  const csrf = form.querySelector("input[name=csrf]").value;
  const accountNames = new Map();
  for (const o of document.querySelectorAll("#accounts option")) {
    accountNames.set(o.value, o.textContent.slice(o.value.length).trim());
  }

  // "1,234.5" → 123450 fen; null when it is not an amount.
  function fen(text) {
    const s = text.replace(/[,，\s]/g, "");
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
    if (!m) return null;
    return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  }
  function show(f) {
    const yuan = String(Math.floor(f / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return yuan + "." + String(f % 100).padStart(2, "0");
  }

  function totals() {
    let dr = 0, cr = 0;
    for (const i of body.querySelectorAll("input[name=debit]")) dr += fen(i.value) || 0;
    for (const i of body.querySelectorAll("input[name=credit]")) cr += fen(i.value) || 0;
    document.getElementById("debit-total").textContent = show(dr);
    document.getElementById("credit-total").textContent = show(cr);
    const b = document.getElementById("balance");
    b.dataset.balanced = String(dr === cr);
    b.textContent = dr === cr ? b.dataset.yes : b.dataset.no + " · " + b.dataset.difference + " " + show(Math.abs(dr - cr));
  }

  function rows() {
    return Array.from(body.querySelectorAll("tr.entry-line"));
  }
  function val(row, name) {
    return row.querySelector(`input[name=${name}]`).value.trim();
  }
  function filled(row) {
    return ["line_summary", "account", "debit", "credit"].some((n) => val(row, n) !== "");
  }

  function accountName(row) {
    const code = val(row, "account");
    row.querySelector(".account-name").textContent = accountNames.get(code) || "";
  }

  // Each classification request is numbered; an answer older than the newest request is dropped.
  let asked = 0;
  let timer = null;
  function classifySoon() {
    clearTimeout(timer);
    timer = setTimeout(classify, 300);
  }

  function cell(row) {
    return row.querySelector("td.verdict-cell");
  }
  function say(row, verdict, label, lines, error) {
    const c = cell(row);
    c.textContent = "";
    c.dataset.verdict = verdict || "";
    if (label) {
      const s = document.createElement("span");
      s.className = "verdict " + verdict;
      s.textContent = label;
      c.appendChild(s);
    }
    for (const t of lines || []) {
      const d = document.createElement("div");
      d.className = "reason";
      d.textContent = t;
      c.appendChild(d);
    }
    if (error) {
      const d = document.createElement("div");
      d.className = "error";
      d.dataset.testid = "line-error";
      d.setAttribute("data-testid", "line-error");
      d.textContent = error;
      c.appendChild(d);
    }
  }

  async function classify() {
    const judged = rows().filter((r) => val(r, "account") !== "");
    for (const r of rows()) if (!judged.includes(r)) say(r, "", "", []);
    if (judged.length === 0) return;
    const lines = judged.map((r) => {
      const l = { account: val(r, "account"), summary: val(r, "line_summary") };
      if (val(r, "credit") !== "") l.credit = val(r, "credit");
      else if (val(r, "debit") !== "") l.debit = val(r, "debit");
      return l;
    });
    const summary = form.querySelector("input[name=summary]").value;
    const mine = ++asked;
    let res, answer;
    try {
      res = await fetch(form.dataset.classify, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ summary, lines }),
      });
      answer = await res.json();
    } catch (e) {
      return; // Offline or signed out: the server judges on submit anyway.
    }
    if (mine !== asked) return;
    if (!res.ok) {
      judged.forEach((r, i) => say(r, "", "", [], answer.line === i + 1 || answer.line == null ? answer.message : ""));
      return;
    }
    judged.forEach((r, i) => {
      const l = answer.lines[i];
      say(r, l.verdict, l.verdict === "none" ? "" : l.label, l.reasons);
      if (l.account_name) r.querySelector(".account-name").textContent = l.account_name;
    });
  }

  function renumber() {
    rows().forEach((r, i) => {
      const n = i + 1;
      r.dataset.row = String(i);
      r.querySelector("td").textContent = String(n);
      for (const [prefix, name] of [["ls", "line_summary"], ["acc", "account"], ["dr", "debit"], ["cr", "credit"], ["inv", "invoice_no"], ["sel", "seller"], ["tax", "seller_tax_id"]]) {
        const input = r.querySelector(`input[name=${name}]`);
        const label = r.querySelector(`label[for=${input.id}]`);
        input.id = `${prefix}-${n}`;
        if (label) {
          label.htmlFor = input.id;
          label.textContent = label.textContent.replace(/\d+/, String(n));
        }
      }
    });
  }

  function addLine() {
    const last = rows()[rows().length - 1];
    const copy = last.cloneNode(true);
    for (const i of copy.querySelectorAll("input")) i.value = "";
    copy.querySelector(".account-name").textContent = "";
    say(copy, "", "", []);
    body.appendChild(copy);
    renumber();
    return copy;
  }

  const add = form.querySelector("[data-add-line]");
  add.hidden = false;
  add.addEventListener("click", () => addLine().querySelector("input").focus());

  // Enter moves on, as in 用友 and 金蝶: to the next cell, and from the last row's last cell to a
  // new row when that row was used, else to the save button. Only the button submits.
  form.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.key !== "Enter" || !(t instanceof HTMLInputElement) || !t.hasAttribute("data-cell")) return;
    e.preventDefault();
    let cells = Array.from(form.querySelectorAll("input[data-cell]"));
    let at = cells.indexOf(t);
    if (at === cells.length - 1) {
      const row = t.closest("tr.entry-line");
      if (row && filled(row)) {
        addLine();
        cells = Array.from(form.querySelectorAll("input[data-cell]"));
      } else {
        document.getElementById("entry-submit").focus();
        return;
      }
    }
    cells[at + 1].focus();
  });

  form.addEventListener("input", (e) => {
    const row = e.target.closest && e.target.closest("tr.entry-line");
    if (row && e.target.name === "account") accountName(row);
    totals();
    classifySoon();
  });

  // Double clicks: the form carries one Idempotency-Key, and the button waits for the answer.
  form.addEventListener("submit", () => {
    const b = document.getElementById("entry-submit");
    setTimeout(() => (b.disabled = true), 0);
  });

  totals();
  if (rows().some((r) => val(r, "account") !== "")) classify();
})();
