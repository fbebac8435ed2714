// The IronCurtain approval page. Everything that comes from the server is
// put on the page with textContent, never as markup: the agent influences
// most of it. The server has already escaped control and bidirectional
// characters (they show as \uXXXX).
"use strict";

(function () {
  const token = new URLSearchParams(location.search).get("token") || "";
  const csrf = document.querySelector('meta[name="ironcurtain-csrf"]').content;
  const statusEl = document.getElementById("status");
  const pendingEl = document.getElementById("pending");
  const noPending = document.getElementById("no-pending");
  const grantsTable = document.getElementById("grants");
  const grantsBody = grantsTable.querySelector("tbody");
  const noGrants = document.getElementById("no-grants");
  const cards = new Map(); // escalation id -> card element

  const TTLS = [["15 minutes", 900], ["1 hour", 3600], ["8 hours", 28800], ["24 hours", 86400]];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // seconds parses a Go duration ("24h0m0s", "90s").
  function seconds(d) {
    const units = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 };
    let total = 0;
    const re = /([0-9.]+)(h|ms|us|µs|ns|m|s)/g;
    let m;
    while ((m = re.exec(d)) !== null) total += parseFloat(m[1]) * units[m[2]];
    return total;
  }

  function setStatus(text, down) {
    statusEl.textContent = text;
    statusEl.classList.toggle("down", !!down);
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-IronCurtain-Token": token, "X-IronCurtain-CSRF": csrf },
      body: JSON.stringify(body),
      credentials: "omit",
    });
    let res = {};
    try { res = await r.json(); } catch (e) { res = { error: "HTTP " + r.status }; }
    if (!r.ok || !res.ok) throw new Error(res.error || ("HTTP " + r.status));
    return res;
  }

  function row(dl, name, value, cls) {
    dl.append(el("dt", "", name));
    const dd = el("dd", cls || "");
    dd.append(el("span", "value", value));
    dl.append(dd);
    return dd;
  }

  function card(p) {
    const shown = p.presentation;
    const c = el("article", "escalation");
    c.dataset.id = p.id;
    c.append(el("h3", "", shown.Server + " / " + shown.Tool));

    const dl = el("dl");
    if (!shown.Resources || shown.Resources.length === 0) {
      row(dl, "resources", "(none reported by the policy)");
    } else {
      for (const r of shown.Resources) {
        row(dl, r.Role + " (" + r.Argument + ", " + r.Kind + ")", r.Value, "resource");
      }
    }
    row(dl, "rule", shown.Rule, "rule");
    row(dl, "reason", shown.Reason, "reason");
    row(dl, "digest", "sha256:" + shown.Digest, "digest");
    if (p.deadline) row(dl, "denied at", new Date(p.deadline).toLocaleTimeString() + " without an answer");
    c.append(dl);

    if (shown.Arguments && shown.Arguments.length > 0) {
      const args = el("div", "args");
      args.append(el("h4", "", "Other arguments"));
      for (const a of shown.Arguments) {
        const d = el("div", "arg");
        d.dataset.name = a.Name;
        d.append(el("span", "name", a.Name + " "));
        d.append(el("span", "meta", "(" + a.Size + " bytes" + (a.Cut ? ", cut" : "") + "): "));
        d.append(el("span", "value", a.Value + (a.Cut ? " …" : "")));
        args.append(d);
      }
      c.append(args);
    }

    const actions = el("div", "actions");
    const err = el("p", "error");
    const decide = (decision, scope, ttl) => async () => {
      err.textContent = "";
      const body = { id: p.id, decision: decision, digest: shown.Digest };
      if (scope) { body.scope = scope; body.ttl = ttl + "s"; }
      try {
        await post("/api/decide", body);
        c.remove();
        cards.delete(p.id);
        sync();
      } catch (e) {
        err.textContent = e.message;
      }
    };
    const once = el("button", "approve-once", "Approve once");
    once.type = "button";
    once.addEventListener("click", decide("approve"));
    actions.append(once);

    const maxTTL = seconds(p.maxTTL || "0s");
    const ttls = TTLS.filter(([, s]) => s <= maxTTL);
    if (ttls.length > 0 && (p.exact || p.scoped)) {
      const sel = el("select", "ttl");
      sel.setAttribute("aria-label", "grant lasts");
      for (const [label, s] of ttls) {
        const o = el("option", "", label);
        o.value = String(s);
        sel.append(o);
      }
      if (p.exact) {
        const b = el("button", "approve-exact", "Approve, and allow these exact arguments");
        b.type = "button";
        b.addEventListener("click", () => decide("approve", "exact", sel.value)());
        actions.append(b);
      }
      if (p.scoped) {
        const b = el("button", "approve-scoped", "Approve, and allow " + shown.Server + "/" + shown.Tool + " with " + p.scoped);
        b.type = "button";
        b.addEventListener("click", () => decide("approve", "scoped", sel.value)());
        actions.append(b);
      }
      const l = el("label", "", "for ");
      l.append(sel);
      actions.append(l);
    }
    const deny = el("button", "deny", "Deny");
    deny.type = "button";
    deny.addEventListener("click", decide("deny"));
    actions.append(deny);
    c.append(actions, err);
    return c;
  }

  function render(state) {
    const ids = new Set(state.pending.map((p) => p.id));
    for (const [id, c] of cards) {
      if (!ids.has(id)) { c.remove(); cards.delete(id); }
    }
    for (const p of state.pending) {
      if (!cards.has(p.id)) {
        const c = card(p);
        cards.set(p.id, c);
        pendingEl.append(c);
      }
    }
    noPending.hidden = cards.size > 0;

    grantsBody.replaceChildren();
    for (const g of state.grants) {
      const tr = el("tr", "grant");
      tr.dataset.id = g.id;
      tr.append(el("td", "", g.server + "/" + g.tool));
      tr.append(el("td", "value", g.description));
      tr.append(el("td", "", g.by));
      tr.append(el("td", "", new Date(g.expires).toLocaleString()));
      const td = el("td");
      const b = el("button", "revoke", "Revoke");
      b.type = "button";
      b.addEventListener("click", async () => {
        try { await post("/api/revoke", { id: g.id }); sync(); } catch (e) { setStatus("revoke failed: " + e.message, true); }
      });
      td.append(b);
      tr.append(td);
      grantsBody.append(tr);
    }
    grantsTable.hidden = state.grants.length === 0;
    noGrants.hidden = state.grants.length > 0;
  }

  async function sync() {
    try {
      const r = await fetch("/api/state", { headers: { "X-IronCurtain-Token": token }, credentials: "omit" });
      if (r.ok) render(await r.json());
    } catch (e) { /* the event stream reports the connection */ }
  }

  const events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.addEventListener("state", (e) => {
    setStatus("connected: updates arrive as calls are escalated");
    render(JSON.parse(e.data));
  });
  events.addEventListener("error", () => setStatus("disconnected from the approver; retrying…", true));
})();
