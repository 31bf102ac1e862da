// The admin page: plain JavaScript on the admin JSON API. Every value from
// the API is written with textContent, never as HTML.
"use strict";

const KINDS = [
  ["customer", "Customers"], ["product", "Products"], ["invoice", "Invoices"], ["payment", "Payments"],
  ["credit", "Credits"], ["charge_reversal", "Charge reversals"], ["write_off", "Write-offs"], ["sale", "Sales"],
  ["refund", "Refunds"],
];
const KIND_ONE = { customer: "Customer", product: "Product", invoice: "Invoice", payment: "Payment", credit: "Credit",
  charge_reversal: "Charge reversal", write_off: "Write-off", sale: "Sale", refund: "Refund" };
const STATUS_TEXT = { not_tried: "Not tried", waiting: "Waiting", synced: "Synced", warning: "Warning",
  dismissed: "Dismissed", not_connected: "Not connected", skipped: "Skipped", drifted: "Drifted" };
const PLURAL = { customer: "customers", product: "products", invoice: "invoices", payment: "payments",
  credit: "credits", charge_reversal: "charge reversals", write_off: "write-offs", sale: "sales", refund: "refunds" };

const state = { token: "", tenant: "", subject: "", timer: null, listCursor: "", peakQueue: 0, entity: null };

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

let announceTimer = null;

// announce tells screen readers (and shows briefly) what just happened.
function announce(msg) {
  const live = $("live");
  live.textContent = "";
  window.clearTimeout(announceTimer);
  window.setTimeout(() => { live.textContent = msg; }, 30);
  announceTimer = window.setTimeout(() => { live.textContent = ""; }, 6000);
}

function showError(msg) {
  const a = $("alert");
  a.textContent = msg;
  a.hidden = !msg;
}

class APIError extends Error {
  constructor(status, body) {
    super((body && body.message) || "request failed (" + status + ")");
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (res.status === 401) {
    signOut("Your sign-in expired or the token is not valid. Sign in again.");
    throw new APIError(401, data);
  }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

const tenantPath = (rest) => "/api/v1/tenants/" + encodeURIComponent(state.tenant) + rest;

function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return duration(s) + " ago";
}

function duration(s) {
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " days";
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
const badge = (status) => el("span", { class: "badge " + status }, STATUS_TEXT[status] || status.replace(/_/g, " "));
const entityHash = (kind, id) => "#/entity/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id);

function blocksText(b) {
  if (!b || !b.count) return "";
  const parts = Object.entries(b.by_kind).map(([k, n]) => n + " " + (n === 1 ? k.replace(/_/g, " ") : PLURAL[k] || k));
  return "Blocks " + parts.join(", ") + (b.more ? " and more" : "");
}

// ---- sign-in ----

function readFragmentToken() {
  const h = window.location.hash;
  if (!h.startsWith("#token=")) return;
  const params = new URLSearchParams(h.slice(1));
  const tok = params.get("token");
  if (tok) sessionStorage.setItem("admin-token", tok);
  history.replaceState(null, "", window.location.pathname + "#/overview");
}

async function signIn(token) {
  state.token = token;
  try {
    const s = await api("GET", "/api/v1/session");
    if (s.role !== "admin" || !s.tenant) throw new Error("this token is not a tenant admin's token");
    state.tenant = s.tenant;
    state.subject = s.subject;
    sessionStorage.setItem("admin-token", token);
    renderWho();
    $("nav").hidden = false;
    return true;
  } catch (e) {
    state.token = "";
    sessionStorage.removeItem("admin-token");
    if (!(e instanceof APIError && e.status === 401)) showError("Sign-in failed: " + e.message);
    return false;
  }
}

function renderWho() {
  const who = $("who");
  who.replaceChildren(el("span", {}, state.subject + " · tenant " + state.tenant),
    el("button", { type: "button", class: "small", onclick: () => signOut("Signed out.") }, "Sign out"));
}

function signOut(msg) {
  state.token = "";
  sessionStorage.removeItem("admin-token");
  $("nav").hidden = true;
  $("who").replaceChildren();
  stopTimer();
  show("login");
  if (msg) showError(msg);
}

// ---- views ----

function show(name) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + name;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const h = document.querySelector("#view-" + name + " h1");
  if (h) h.focus();
}

function stopTimer() {
  if (state.timer) window.clearTimeout(state.timer);
  state.timer = null;
}

function every(ms, fn) {
  stopTimer();
  state.timer = window.setTimeout(async () => {
    try { await fn(); } catch (e) { if (e.status !== 401) showError(e.message); }
  }, ms);
}

async function route() {
  stopTimer();
  showError("");
  if (!state.token) { show("login"); return; }
  const hash = window.location.hash || "#/overview";
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  try {
    switch (parts[0]) {
      case "review": show("review"); await loadReview(params); break;
      case "entity": show("entity"); await loadEntity(parts[1], parts[2]); break;
      case "settings": show("settings"); await loadSettings(); break;
      case "audit": show("audit"); await loadAudit(); break;
      case "reconciliation": show("recon"); await loadRecon(); break;
      case "dead-letters": show("dead-letters"); await loadDeadLetters(); break;
      case "events": show("events"); await loadEvents(); break;
      case "qbo-customers": show("qbo-customers"); await loadImported(""); break;
      default: show("overview"); await Promise.all([loadOverview(), loadDeadLetterCount()]);
    }
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
}

// ---- overview ----

async function loadOverview() {
  const ov = await api("GET", tenantPath("/overview"));
  const c = ov.connection;
  $("ov-conn").replaceChildren(badge(c.status === "not_connected" ? "not_connected" : c.status));
  $("ov-realm").textContent = c.realm_id ? "Company " + c.realm_id : "Connect QuickBooks to start syncing";
  const o = ov.oldest_unsynced;
  $("ov-fresh").textContent = o ? duration(o.age_seconds) : "All synced";
  $("ov-fresh-sub").replaceChildren(o ? el("a", { href: entityHash(o.kind, o.id) }, KIND_ONE[o.kind] + " " + o.id + " (" + (STATUS_TEXT[o.status] || o.status) + ")") : "nothing waiting");
  $("ov-queued").textContent = ov.queued;
  $("ov-queued-sub").replaceChildren("not tried or waiting",
    ov.parent_missing ? el("div", {}, el("a", { href: "#/review?status=waiting" }, ov.parent_missing + " more wait on what billing never sent")) : "");
  $("ov-warnings").textContent = ov.warnings;
  $("ov-notices").textContent = ov.notices;
  const rows = ov.kinds.map((k) => el("tr", {},
    el("th", { scope: "row" }, k.label),
    el("td", { class: "num" }, k.in_billing),
    el("td", { class: "num" }, k.synced),
    countCell(k.not_tried, k.kind, "not_tried"),
    countCell(k.waiting, k.kind, "waiting"),
    countCell(k.warnings, k.kind, "warning"),
    countCell(k.not_connected, k.kind, "not_connected"),
    countCell(k.drifted, k.kind, "drifted"),
    countCell(k.dismissed, k.kind, "dismissed"),
    el("td", { class: "num" }, k.notices),
    el("td", { class: "num" }, k.skipped),
    el("td", {}, k.oldest_unsynced ? duration(k.oldest_unsynced.age_seconds) : "—")));
  $("ov-rows").replaceChildren(...rows);
  $("ov-last-sync").textContent = "Last sync: " + (ov.last_sync_at ? when(ov.last_sync_at) + " (" + ago(ov.last_sync_at) + ")" : "never");
  showQueueProgress(ov.queued);
  renderReadiness(ov.readiness);
  await loadMoney();
  if (ov.queued > 0) every(2000, loadOverview);
}

// loadMoney shows the last reconciliation's totals and receivables on
// the overview; none yet is said so, with where to run one.
async function loadMoney() {
  let r = null;
  try { r = await api("GET", tenantPath("/reconciliation")); } catch (e) { if (e.status !== 404) throw e; }
  $("ov-money-note").replaceChildren(r ? "As of " + when(r.as_of) + " (" + ago(r.as_of) + "); reconciled hourly. " : "Not reconciled yet. ",
    el("a", { href: "#/reconciliation" }, r ? "See the reconciliation" : "Reconcile now"));
  $("ov-money-rows").replaceChildren(...(r ? r.totals : []).map(totalRow));
  $("ov-ar-rows").replaceChildren(...(r ? r.customers : []).map(customerRow));
}

function renderReadiness(rd) {
  const box = $("ov-ready");
  if (!rd) { box.replaceChildren(el("p", { class: "hint" }, "No readiness report yet: it is made when QuickBooks is connected, and hourly.")); return; }
  box.replaceChildren(el("p", { class: "hint" }, (rd.company_name ? rd.company_name + ", " : "") + "checked " + when(rd.checked_at)),
    el("ul", { class: "checks" }, ...(rd.checks || []).map((c) => el("li", { class: "check " + c.level }, el("strong", {}, c.level + ": "), c.message))));
}

const agree = (ok) => el("span", { class: "badge " + (ok ? "synced" : "warning") }, ok ? "Agree" : "Differ");

function totalRow(t) {
  const ok = t.billing_count === t.qbo_count && t.billing_amount === t.qbo_amount;
  return el("tr", {}, el("th", { scope: "row" }, (KINDS.find(([k]) => k === t.kind) || [t.kind, t.kind])[1]), el("td", {}, t.currency || ""),
    el("td", { class: "num" }, t.billing_count), el("td", { class: "num" }, t.billing_amount),
    el("td", { class: "num" }, t.qbo_count), el("td", { class: "num" }, t.qbo_amount), el("td", {}, agree(ok)));
}

function customerRow(c) {
  return el("tr", {}, el("th", { scope: "row" }, el("a", { href: entityHash("customer", c.customer_id) }, c.customer_id)), el("td", {}, c.currency),
    el("td", { class: "num" }, c.billing_open_ar), el("td", { class: "num" }, c.qbo_open_ar),
    el("td", { class: "num" }, c.billing_unapplied), el("td", { class: "num" }, c.qbo_unapplied),
    el("td", {}, agree(c.status === "matched")));
}

// ---- reconciliation ----

async function loadRecon() {
  let r = null;
  try { r = await api("GET", tenantPath("/reconciliation")); } catch (e) { if (e.status !== 404) throw e; }
  $("recon-asof").textContent = r ? "As of " + when(r.as_of) + " (" + ago(r.as_of) + "). It runs hourly; the first run reads QuickBooks in full, later runs only what changed." : "Not reconciled yet.";
  const drift = r ? r.drift : [];
  $("recon-drift").replaceChildren(...drift.map(driftRow));
  await openLinks(drift);
  $("recon-drift-empty").hidden = drift.length > 0 || !r;
  $("recon-totals").replaceChildren(...(r ? r.totals : []).map(totalRow));
  $("recon-customers").replaceChildren(...(r ? r.customers : []).map(customerRow));
}

function driftRow(d) {
  const name = KIND_ONE[d.kind] + " " + d.id;
  const main = !d.id.includes("#");
  const act = main && d.field !== "balance"; // a balance follows from another row
  return el("tr", {}, el("th", { scope: "row" }, main ? el("a", { href: entityHash(d.kind, d.id) }, name) : name),
    el("td", {}, d.field), el("td", {}, d.billing), el("td", {}, d.quickbooks), el("td", {}, ago(d.detected_at)),
    el("td", {}, act ? el("div", { class: "actions" },
      el("a", { class: "button small", "data-open": d.kind + "/" + d.id, href: entityHash(d.kind, d.id), target: "_blank", rel: "noopener",
        "aria-label": "Open " + name + " in QuickBooks" }, "Open in QuickBooks"),
      el("button", { type: "button", class: "small", "aria-label": "Push billing's version of " + name, onclick: () => pushAgain(d.kind, d.id) }, "Push billing's version"),
      el("button", { type: "button", class: "small", "aria-label": "Accept QuickBooks' version of " + name, onclick: () => openAccept(d.kind, d.id) }, "Accept QuickBooks'")) : ""));
}

// openLinks points each drift row's "Open in QuickBooks" at the object's
// page (Intuit's web app, or the simulator's), from the entity's detail.
async function openLinks(drift) {
  const seen = new Set();
  for (const d of drift) {
    const key = d.kind + "/" + d.id;
    if (seen.has(key) || d.id.includes("#")) continue;
    seen.add(key);
    const e = await api("GET", tenantPath("/entities/" + encodeURIComponent(d.kind) + "/" + encodeURIComponent(d.id)));
    for (const a of document.querySelectorAll('#recon-drift a[data-open="' + CSS.escape(key) + '"]')) {
      if (e.qbo && e.qbo.url) a.href = e.qbo.url;
      else a.remove();
    }
  }
}

$("recon-run").addEventListener("click", async (ev) => {
  const btn = ev.currentTarget;
  btn.disabled = true;
  try {
    const r = await api("POST", tenantPath("/reconciliation"));
    announce("Reconciled: " + r.drift.length + (r.drift.length === 1 ? " difference" : " differences") + " found.");
    await loadRecon();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  } finally {
    btn.disabled = false;
  }
});

async function pushAgain(kind, id) {
  try {
    await api("POST", tenantPath("/entities/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id) + "/push"));
    announce(KIND_ONE[kind] + " " + id + ": billing's version is sent again.");
    await route();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
}

let acceptTarget = null;

function openAccept(kind, id) {
  acceptTarget = { kind, id };
  $("accept-what").textContent = KIND_ONE[kind] + " " + id + " keeps what QuickBooks now says.";
  $("accept-reason").value = "";
  $("accept-dialog").showModal();
  $("accept-reason").focus();
}

$("accept-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const reason = $("accept-reason").value.trim();
  if (!reason) { $("accept-reason").focus(); return; }
  try {
    await api("POST", tenantPath("/entities/" + encodeURIComponent(acceptTarget.kind) + "/" + encodeURIComponent(acceptTarget.id) + "/accept"), { reason });
    $("accept-dialog").close();
    announce(KIND_ONE[acceptTarget.kind] + " " + acceptTarget.id + ": QuickBooks' version accepted.");
    await route();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
});

function countCell(n, kind, status) {
  if (!n) return el("td", { class: "num" }, "0");
  return el("td", { class: "num" }, el("a", { href: "#/review?status=" + status + "&kind=" + kind,
    "aria-label": n + " " + (STATUS_TEXT[status] || status).toLowerCase() + " " + PLURAL[kind] }, String(n)));
}

// showQueueProgress shows how much of the queue seen at its largest is
// done, while a backfill or resend runs.
function showQueueProgress(queued) {
  const box = $("ov-progress");
  if (queued > state.peakQueue) state.peakQueue = queued;
  if (queued === 0) {
    if (!box.hidden) announce("Sync finished: nothing left in the queue.");
    box.hidden = true;
    state.peakQueue = 0;
    return;
  }
  const done = state.peakQueue - queued;
  box.hidden = false;
  $("ov-progress-bar").max = state.peakQueue;
  $("ov-progress-bar").value = done;
  $("ov-progress-label").textContent = "Syncing: " + queued + " left of " + state.peakQueue;
}

$("sync-now").addEventListener("click", async (ev) => {
  const btn = ev.currentTarget;
  btn.disabled = true;
  try {
    const n = await runBulk("/sync-now", {}, null);
    announce("Sync now: " + n + " entities sent.");
    await loadOverview();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  } finally {
    btn.disabled = false;
  }
});

// ---- review ----

function fillKindSelect(select, withAll) {
  select.replaceChildren(...(withAll ? [el("option", { value: "" }, "All, top-down")] : []),
    ...KINDS.map(([k, label]) => el("option", { value: k }, label)));
}

async function loadReview(params) {
  const status = params.get("status") || "warning";
  const kind = params.get("kind") || "";
  $("f-status").value = status;
  $("f-kind").value = kind;
  $("review-h").textContent = status === "warning" ? "Review warnings" : "Entities: " + (STATUS_TEXT[status] || status);
  $("list-caption").textContent = (STATUS_TEXT[status] || status) + " — " + (kind ? PLURAL[kind] : "all entities, customers first");
  $("list-rows").replaceChildren();
  state.listCursor = "";
  await loadMore(status, kind);
}

async function loadMore(status, kind) {
  const q = new URLSearchParams({ status, limit: "50" });
  if (kind) q.set("kind", kind);
  if (state.listCursor) q.set("cursor", state.listCursor);
  const res = await api("GET", tenantPath("/entities?" + q));
  for (const r of res.entities) $("list-rows").append(listRow(r));
  state.listCursor = res.next_cursor || "";
  $("list-more").hidden = !state.listCursor;
  $("list-empty").hidden = $("list-rows").children.length > 0;
  const n = res.entities.length;
  announce(n + (n === 1 ? " entity" : " entities") + " listed" + (state.listCursor ? "; more can be loaded." : "."));
}

function listRow(r) {
  const reason = el("td", {});
  if (r.warning) {
    reason.append(el("div", {}, r.warning.message));
    if (r.warning.code) reason.append(el("div", { class: "reason-code" }, "QuickBooks code " + r.warning.code));
    if (r.warning.cause) reason.append(el("div", { class: "hint" }, r.warning.cause));
  }
  if (r.waiting_on) reason.append(waitingText(r));
  if (r.dismissal) reason.append(el("div", { class: "hint" }, "Dismissed by " + r.dismissal.by + ": " + r.dismissal.reason));
  if (r.blocks) reason.append(el("div", { class: "blocked" }, blocksText(r.blocks)));
  const name = KIND_ONE[r.kind] + " " + r.id;
  const actions = el("td", {}, el("div", { class: "actions" },
    el("a", { class: "button small", href: entityHash(r.kind, r.id), "aria-label": "Details of " + name }, "Details"),
    r.status !== "drifted" ? el("button", { type: "button", class: "small", "aria-label": "Resend " + name, onclick: () => resend(r.kind, r.id) }, "Resend") : null,
    r.status === "warning" ? el("button", { type: "button", class: "small", "aria-label": "Dismiss " + name, onclick: () => openDismiss(r.kind, r.id) }, "Dismiss") : null,
    r.status === "dismissed" ? el("button", { type: "button", class: "small", "aria-label": "Restore " + name, onclick: () => undismiss(r.kind, r.id) }, "Restore") : null,
    r.status === "drifted" ? el("button", { type: "button", class: "small", "aria-label": "Push billing's version of " + name, onclick: () => pushAgain(r.kind, r.id) }, "Push billing's version") : null,
    r.status === "drifted" ? el("button", { type: "button", class: "small", "aria-label": "Accept QuickBooks' version of " + name, onclick: () => openAccept(r.kind, r.id) }, "Accept QuickBooks'") : null,
    r.kind === "customer" && r.status !== "synced" ? el("button", { type: "button", class: "small", "aria-label": "Connect " + name, onclick: () => openConnect(r.id) }, "Connect") : null));
  return el("tr", {}, el("th", { scope: "row" }, el("a", { href: entityHash(r.kind, r.id) }, name), summaryLine(r.summary)),
    el("td", {}, badge(r.status)), reason, el("td", {}, ago(r.since)), actions);
}

// summaryLine names what a person recognises: number, customer, amount, date.
function summaryLine(sm) {
  if (!sm) return "";
  const parts = [sm.name, sm.number, sm.customer_name, sm.amount ? sm.amount + " " + sm.currency : "", sm.date].filter(Boolean);
  return parts.length ? el("div", { class: "summary" }, parts.join(" · ")) : "";
}

function waitingText(r) {
  const w = r.waiting_on;
  const link = el("a", { href: entityHash(w.kind, w.id) }, w.kind.replace(/_/g, " ") + " " + w.id);
  if (r.parent_missing) return el("div", { class: "blocked" }, "Waiting on ", w.kind.replace(/_/g, " ") + " " + w.id,
    ", which billing never sent. It syncs once billing sends it; check billing for that " + w.kind.replace(/_/g, " ") + ".");
  return el("div", {}, "Waiting on ", link);
}

function reviewHash() {
  const q = new URLSearchParams({ status: $("f-status").value });
  if ($("f-kind").value) q.set("kind", $("f-kind").value);
  return "#/review?" + q;
}

$("f-status").addEventListener("change", () => { window.location.hash = reviewHash(); });
$("f-kind").addEventListener("change", () => { window.location.hash = reviewHash(); });
$("filters").addEventListener("submit", (ev) => ev.preventDefault());
$("list-more").addEventListener("click", () => loadMore($("f-status").value, $("f-kind").value).catch((e) => showError(e.message)));

async function resend(kind, id) {
  try {
    await api("POST", tenantPath("/entities/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id) + "/resend"));
    announce(KIND_ONE[kind] + " " + id + " sent again. Its status updates when QuickBooks answers.");
    await route();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
}

async function undismiss(kind, id) {
  try {
    await api("POST", tenantPath("/entities/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id) + "/undismiss"), {});
    announce(KIND_ONE[kind] + " " + id + " is back among the warnings.");
    await route();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
}

// ---- entity detail ----

async function loadEntity(kind, id) {
  const e = await api("GET", tenantPath("/entities/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id)));
  state.entity = e;
  $("entity-h").textContent = KIND_ONE[e.kind] + " " + e.id;
  const facts = [["Status", badge(e.status)], ["Version", String(e.version)], ["Attempts", String(e.attempts)],
    ["Last update", when(e.updated_at)], [e.status === "synced" ? "Synced since" : "In this state since", when(e.since)]];
  const sm = e.summary || {};
  if (sm.name) facts.push(["Name", sm.name]);
  if (sm.number) facts.push([e.kind === "invoice" ? "Invoice number" : "Reference", sm.number]);
  if (e.customer_id && e.kind !== "customer") facts.push(["Customer", el("a", { href: entityHash("customer", e.customer_id) },
    sm.customer_name ? sm.customer_name + " (" + e.customer_id + ")" : e.customer_id + " (billing never sent it)")]);
  if (sm.amount) facts.push(["Amount", sm.amount + " " + sm.currency]);
  if (sm.date) facts.push(["Date", sm.date]);
  if (e.qbo) facts.push(["In QuickBooks", el("span", {}, e.qbo.type + " " + e.qbo.id + " · ", el("a", { href: e.qbo.url, target: "_blank", rel: "noopener" }, "Open in QuickBooks"))]);
  if (e.waiting_on) facts.push(["Waiting on", waitingText(e)]);
  if (e.dismissal) facts.push(["Dismissed", e.dismissal.by + ", " + when(e.dismissal.at) + ": " + e.dismissal.reason]);
  if (e.customer_connection) {
    const cc = e.customer_connection;
    facts.push(["Connected", (cc.mode === "latch" ? "linked to QuickBooks customer " + cc.qbo_id : "to be created") +
      (cc.start_date ? ", financial data from " + cc.start_date : "") + " by " + cc.by]);
  }
  $("entity-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("entity-warning").replaceChildren(e.warning ? warningBox(e.warning, e.status) : "");
  $("entity-blocks").replaceChildren(e.blocks ? blocksBox(e.blocks) : "");
  $("entity-actions").replaceChildren(
    e.status !== "drifted" ? el("button", { type: "button", class: "primary", onclick: () => resend(e.kind, e.id) }, "Resend") : "",
    e.status === "warning" ? el("button", { type: "button", onclick: () => openDismiss(e.kind, e.id) }, "Dismiss…") : "",
    e.status === "dismissed" && !e.drift ? el("button", { type: "button", onclick: () => undismiss(e.kind, e.id) }, "Restore warning") : "",
    e.status === "drifted" ? el("button", { type: "button", class: "primary", onclick: () => pushAgain(e.kind, e.id) }, "Push billing's version") : "",
    e.status === "drifted" ? el("button", { type: "button", onclick: () => openAccept(e.kind, e.id) }, "Accept QuickBooks' version…") : "",
    e.kind === "customer" ? el("button", { type: "button", onclick: () => openConnect(e.id) }, "Connect customer…") : "");
  $("entity-history").replaceChildren(...(e.history || []).map((h) => el("tr", {},
    el("td", {}, when(h.at)),
    el("td", {}, h.type === "admin" ? h.action.replace(/_/g, " ") + " by " + h.by : "sync attempt (v" + h.version + ")"),
    el("td", {}, h.status ? badge(h.status) : ""),
    el("td", {}, [h.warning ? (h.warning.code ? h.warning.code + " " : "") + h.warning.message : "", h.waiting_on ? "waiting on " + h.waiting_on : "", h.reason || ""].filter(Boolean).join(" · ")))));
  $("entity-snapshot").textContent = JSON.stringify(e.snapshot, null, 2);
  if (e.status === "not_tried" || e.status === "waiting") every(1500, () => loadEntity(kind, id).then(() => {
    if (state.entity.status !== "not_tried" && state.entity.status !== "waiting") announce(KIND_ONE[kind] + " " + id + " is now " + (STATUS_TEXT[state.entity.status] || state.entity.status) + ".");
  }));
}

function warningBox(w, status) {
  const rows = [];
  if (w.code && status !== "drifted") rows.push(["QuickBooks code", w.code]);
  rows.push(["Message", w.message]);
  if (w.detail) rows.push(["Detail", w.detail]);
  if (w.element) rows.push(["Element", w.element]);
  if (w.intuit_tid) rows.push(["intuit_tid", w.intuit_tid]);
  if (w.notice) rows.push(["Action", "none to sync it: it is in QuickBooks; check it there"]);
  else rows.push(["Retried automatically", w.retryable ? "yes" : status === "not_connected" ? "no — connect the customer (Connect customer…); it syncs then" :
    status === "drifted" ? "no — push billing's version, or accept QuickBooks' with a reason" : "no — fix the cause, then resend"]);
  const box = el("section", { class: "warnbox", "aria-labelledby": "warn-h" },
    el("h2", { id: "warn-h" }, w.notice ? "Notice: synced, not as sent" : status === "synced" ? "Note" : status === "dismissed" ? "Dismissed warning" : status === "drifted" ? "Changed in QuickBooks" : "Why it did not sync"),
    el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  if (w.cause || w.fix) {
    box.append(el("div", { class: "explain" },
      w.cause ? el("p", {}, el("strong", {}, "Cause: "), w.cause) : "",
      w.fix ? el("p", {}, el("strong", {}, "Fix: "), w.fix) : ""));
  }
  return box;
}

function blocksBox(b) {
  return el("section", { class: "blocks", "aria-labelledby": "blocks-h" },
    el("h2", { id: "blocks-h" }, blocksText(b)),
    el("p", { class: "hint" }, "They wait for this entity and sync by themselves once it does."),
    el("ul", {}, b.entities.map((r) => el("li", {}, el("a", { href: entityHash(r.kind, r.id) }, KIND_ONE[r.kind] + " " + r.id)))));
}

// ---- dismiss ----

let dismissTarget = null;

function openDismiss(kind, id) {
  dismissTarget = { kind, id };
  $("dismiss-what").textContent = KIND_ONE[kind] + " " + id + " will no longer count as a warning.";
  $("dismiss-reason").value = "";
  $("dismiss-dialog").showModal();
  $("dismiss-reason").focus();
}

$("dismiss-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const reason = $("dismiss-reason").value.trim();
  if (!reason) { $("dismiss-reason").focus(); return; }
  try {
    await api("POST", tenantPath("/entities/" + encodeURIComponent(dismissTarget.kind) + "/" + encodeURIComponent(dismissTarget.id) + "/dismiss"), { reason });
    $("dismiss-dialog").close();
    announce(KIND_ONE[dismissTarget.kind] + " " + dismissTarget.id + " dismissed.");
    await route();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
});

// ---- connect customer ----

let connectTarget = "";

function openConnect(id) {
  connectTarget = id;
  $("connect-what").textContent = "Billing customer " + id;
  $("c-search").value = "";
  $("c-start").value = "";
  $("c-error").textContent = "";
  $("c-results").replaceChildren(el("p", { class: "empty" }, "Search to list QuickBooks customers."));
  $("c-mode-latch").checked = true;
  syncConnectMode();
  $("connect-dialog").showModal();
  $("c-search").focus();
}

function syncConnectMode() {
  $("c-search-box").hidden = !$("c-mode-latch").checked;
}

$("c-mode-latch").addEventListener("change", syncConnectMode);
$("c-mode-create").addEventListener("change", syncConnectMode);
$("c-search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); searchQBO(); } });
$("c-search-go").addEventListener("click", () => searchQBO());

async function searchQBO() {
  const term = $("c-search").value.trim();
  $("c-error").textContent = "";
  if (!term) { $("c-search").focus(); return; }
  try {
    const res = await api("GET", tenantPath("/qbo/customers?search=" + encodeURIComponent(term)));
    if (!res.customers.length) {
      $("c-results").replaceChildren(el("p", { class: "empty" }, "No QuickBooks customer matches “" + term + "”."));
    } else {
      $("c-results").replaceChildren(...res.customers.map((c, i) => el("div", {},
        el("input", { type: "radio", name: "qbo-customer", id: "qc-" + i, value: c.id, checked: i === 0 }), " ",
        el("label", { for: "qc-" + i }, c.display_name + (c.email ? " <" + c.email + ">" : "") + " · QuickBooks id " + c.id +
          (c.billing_id ? " · already linked to " + c.billing_id : "") + (c.active ? "" : " · inactive")))));
    }
    $("c-error").textContent = "";
    announce(res.customers.length + " QuickBooks customers found.");
  } catch (e) {
    if (e.status !== 401) $("c-error").textContent = e.message;
  }
}

$("connect-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (document.activeElement === $("c-search")) { searchQBO(); return; } // Enter in the search field searches
  const body = { mode: $("c-mode-latch").checked ? "latch" : "create" };
  if (body.mode === "latch") {
    const chosen = document.querySelector("input[name=qbo-customer]:checked");
    if (!chosen) { $("c-error").textContent = "Search and choose the QuickBooks customer to link to."; $("c-search").focus(); return; }
    body.qbo_customer_id = chosen.value;
  }
  if ($("c-start").value) body.start_date = $("c-start").value;
  try {
    await api("POST", tenantPath("/customers/" + encodeURIComponent(connectTarget) + "/connect"), body);
    $("connect-dialog").close();
    announce("Customer " + connectTarget + (body.mode === "latch" ? " linked to QuickBooks customer " + body.qbo_customer_id : " will be created in QuickBooks") + "; syncing.");
    window.location.hash = entityHash("customer", connectTarget);
    await route();
  } catch (e) {
    if (e.status !== 401) $("c-error").textContent = e.message;
  }
});

// ---- resend all (with progress) ----

$("resend-all-open").addEventListener("click", () => {
  $("b-status").value = $("f-status").value === "dismissed" ? "dismissed" : "warning";
  $("b-kind").value = $("f-kind").value;
  $("b-progress-box").hidden = true;
  $("b-submit").disabled = false;
  $("bulk-dialog").showModal();
  $("b-status").focus();
});

$("bulk-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { status: $("b-status").value };
  if ($("b-kind").value) body.kind = $("b-kind").value;
  if ($("b-code").value.trim()) body.code = $("b-code").value.trim();
  if ($("b-since").value) body.since = $("b-since").value;
  $("b-submit").disabled = true;
  $("b-progress-box").hidden = false;
  try {
    const n = await runBulk("/resend", body, (examined, estimate, resent) => {
      $("b-progress").max = Math.max(estimate, examined, 1);
      $("b-progress").value = examined;
      $("b-progress-label").textContent = "Resent " + resent + " · checked " + examined + " of about " + estimate;
    });
    $("b-progress-label").textContent = "Done: " + n + " entities sent again.";
    announce("Resend finished: " + n + " entities sent again.");
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  } finally {
    $("b-submit").disabled = false;
  }
});

// runBulk calls a bulk endpoint until it is done, reporting progress.
async function runBulk(path, body, progress) {
  let cursor = "", examined = 0, resent = 0, estimate = 0;
  for (;;) {
    const res = await api("POST", tenantPath(path), Object.assign({}, body, cursor ? { cursor } : {}));
    examined += res.examined;
    resent += res.resent;
    estimate = estimate || res.estimate;
    if (progress) progress(examined, estimate, resent);
    if (res.done) return resent;
    cursor = res.cursor;
  }
}

// ---- settings ----

async function loadSettings() {
  const s = await api("GET", tenantPath("/settings"));
  $("settings-note").textContent = s.accounts_error ? "Accounts cannot be listed: " + s.accounts_error + "." :
    "Ledgers list only the QuickBooks accounts of the types each one accepts.";
  $("ledger-fields").replaceChildren(...s.ledgers.map((l) => {
    const sel = el("select", { id: "s-" + l.field, name: l.field, "aria-describedby": "h-" + l.field + " e-" + l.field },
      el("option", { value: "" }, "Default (chosen on first sync)"),
      l.accounts.map((a) => el("option", { value: a.id }, a.name + " · " + a.type + (a.subtype ? " (" + a.subtype + ")" : ""))));
    if (l.value && !l.accounts.some((a) => a.id === l.value)) sel.append(el("option", { value: l.value }, "Account " + l.value + " (not of an accepted type)"));
    sel.value = l.value || "";
    return el("div", {}, el("label", { for: "s-" + l.field }, l.label), sel,
      el("p", { class: "hint", id: "h-" + l.field }, "Accepts " + l.allowed + "."),
      el("div", { class: "field-error", id: "e-" + l.field }));
  }));
  for (const f of ["tax_mode", "customer_mode", "closed_books", "payments_direction", "sync_from"]) $("s-" + f).value = s.settings[f] || "";
}

$("settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  for (const e of document.querySelectorAll("#settings-form .field-error")) e.textContent = "";
  const body = {};
  for (const f of document.querySelectorAll("#settings-form select, #settings-form input")) body[f.name] = f.value;
  try {
    await api("PATCH", tenantPath("/settings"), body);
    announce("Settings saved.");
  } catch (e) {
    if (e.status === 401) return;
    const problems = (e.body && e.body.problems) || [];
    if (e.body && e.body.error === "payments_direction_unsafe") problems.push({ field: "payments_direction", message: e.body.message });
    for (const p of problems) {
      const box = $("e-" + p.field);
      if (box) box.textContent = p.message;
    }
    const first = problems.length && $("s-" + problems[0].field);
    if (first) first.focus();
    showError(e.message);
  }
});

// ---- audit ----

async function loadAudit() {
  const res = await api("GET", tenantPath("/audit"));
  $("audit-rows").replaceChildren(...res.entries.map((a) => el("tr", {},
    el("td", {}, when(a.at)), el("td", {}, a.by), el("td", {}, a.action.replace(/_/g, " ") + (a.count ? " (" + a.count + ")" : "")),
    el("td", {}, a.kind ? el("a", { href: entityHash(a.kind, a.id) }, KIND_ONE[a.kind] + " " + a.id) : ""),
    el("td", {}, [a.reason, a.detail].filter(Boolean).join(" · ")))));
}

// ---- dead letters ----

const deadText = (n) => n + (n === 1 ? " message" : " messages") + " failed every delivery attempt (dead letters).";

async function loadDeadLetterCount() {
  const res = await api("GET", tenantPath("/dead-letters"));
  $("ov-dead").hidden = res.total === 0;
  $("ov-dead-text").textContent = deadText(res.total);
}

async function loadDeadLetters() {
  const res = await api("GET", tenantPath("/dead-letters"));
  const queues = res.counts.filter((c) => c.count > 0).map((c) => (KIND_ONE[c.queue] || "Deferred") + " " + c.count);
  $("dead-summary").textContent = res.total === 0 ? "" : deadText(res.total) + " By queue: " + queues.join(", ") +
    (res.complete ? "." : ". More may follow: reload after a redrive.");
  $("dead-empty").hidden = res.total > 0;
  $("dead-table").hidden = res.total === 0;
  $("dead-redrive").disabled = res.total === 0;
  $("dead-rows").replaceChildren(...res.dead_letters.map((d) => el("tr", {},
    el("td", {}, d.queue === "defer" ? "Deferred" : KIND_ONE[d.queue] || d.queue),
    el("td", {}, el("a", { href: entityHash(d.kind, d.entity_id) }, KIND_ONE[d.kind] + " " + d.entity_id)),
    el("td", { class: "num" }, d.version), el("td", {}, d.reason), el("td", {}, when(d.first_seen_at)),
    el("td", { class: "num" }, d.receive_count))));
}

$("dead-redrive").addEventListener("click", async (ev) => {
  const btn = ev.currentTarget;
  btn.disabled = true;
  try {
    const res = await api("POST", tenantPath("/dead-letters/redrive"), {});
    announce("Redrive: " + res.redriven + (res.redriven === 1 ? " message" : " messages") + " sent to the sync again.");
    await loadDeadLetters();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
    btn.disabled = false;
  }
});

// ---- events to billing ----

const DELIVERY_TEXT = { pending: "Pending", delivered: "Delivered", failed: "Failed" };
const EVENT_TEXT = { "quickbooks.invoice.paid": "Invoice paid", "quickbooks.customer.found": "Customer found" };

function answerText(a) {
  if (!a) return "";
  return (a.status ? "HTTP " + a.status : a.error || "") + (a.body ? ": " + a.body.slice(0, 80) : "") + " (" + when(a.at) + ")";
}

function eventName(d) {
  const what = EVENT_TEXT[d.type] || d.type;
  const about = d.data.doc_number || d.data.invoice_id || d.data.display_name || "";
  return what + (about ? " " + about : "");
}

async function loadEndpoint() {
  let ep = null;
  try {
    ep = await api("GET", tenantPath("/outbound/endpoint"));
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  $("ep-url").value = ep ? ep.url : "";
  $("ep-rotate").disabled = !ep || ep.secrets.length >= 2;
  const secrets = ep ? ep.secrets : [];
  $("ep-secrets").replaceChildren(...secrets.map((sec) => {
    const retire = el("button", { type: "button" }, "Retire");
    retire.disabled = secrets.length === 1;
    retire.addEventListener("click", () => retireSecret(sec.id));
    return el("tr", {}, el("td", {}, sec.id), el("td", {}, when(sec.created_at)), el("td", {}, retire));
  }));
}

function showNewSecret(sec) {
  $("ep-secret").hidden = false;
  $("ep-secret").textContent = "New signing secret " + sec.id + ": " + sec.value + " (shown once: store it in billing now).";
}

async function retireSecret(id) {
  try {
    await api("DELETE", tenantPath("/outbound/endpoint/secrets/" + encodeURIComponent(id)));
    announce("Secret " + id + " retired.");
    await loadEndpoint();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
}

function deliveryRow(d) {
  const again = el("button", { type: "button" }, "Redeliver");
  again.addEventListener("click", async () => {
    again.disabled = true;
    try {
      await api("POST", tenantPath("/outbound/deliveries/" + encodeURIComponent(d.id) + "/redeliver"), {});
      announce(eventName(d) + ": redelivery scheduled.");
      await loadDeliveries("");
    } catch (e) {
      if (e.status !== 401) showError(e.message);
      again.disabled = false;
    }
  });
  const status = DELIVERY_TEXT[d.status] + (d.next_attempt_at ? ", next try " + when(d.next_attempt_at) : "");
  return el("tr", {}, el("td", {}, eventName(d), el("div", { class: "sub" }, d.id)), el("td", {}, when(d.recorded_at)),
    el("td", {}, el("span", { class: "badge " + (d.status === "delivered" ? "synced" : d.status === "failed" ? "warning" : "waiting") }, status)),
    el("td", { class: "num" }, d.attempts), el("td", {}, answerText(d.last_answer)), el("td", {}, again));
}

async function loadDeliveries(cursor) {
  const q = new URLSearchParams({ limit: "50" });
  if ($("dl-status").value) q.set("status", $("dl-status").value);
  if (cursor) q.set("cursor", cursor);
  const res = await api("GET", tenantPath("/outbound/deliveries?" + q));
  const rows = res.deliveries.map(deliveryRow);
  if (cursor) $("dl-rows").append(...rows);
  else $("dl-rows").replaceChildren(...rows);
  $("dl-empty").hidden = $("dl-rows").children.length > 0;
  $("dl-more").hidden = !res.next_cursor;
  state.deliveryCursor = res.next_cursor;
}

async function loadEvents() {
  $("ep-secret").hidden = true;
  await Promise.all([loadEndpoint(), loadDeliveries("")]);
}

$("ep-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const ep = await api("PUT", tenantPath("/outbound/endpoint"), { url: $("ep-url").value.trim() });
    announce("Endpoint saved.");
    await loadEndpoint();
    if (ep.secret) showNewSecret(ep.secret);
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
});

$("ep-rotate").addEventListener("click", async () => {
  try {
    const sec = await api("POST", tenantPath("/outbound/endpoint/secrets"), {});
    await loadEndpoint();
    showNewSecret(sec);
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
});

$("dl-status").addEventListener("change", () => loadDeliveries("").catch((e) => showError(e.message)));
$("dl-more").addEventListener("click", () => loadDeliveries(state.deliveryCursor).catch((e) => showError(e.message)));

// ---- QuickBooks customers not in billing ----

function importedRow(c) {
  const input = el("input", { type: "text", size: "14", "aria-label": "Billing customer id for " + c.display_name, placeholder: "cus_…" });
  const link = el("button", { type: "submit" }, "Link");
  const form = el("form", { class: "row" }, input, link);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = input.value.trim();
    if (!id) return;
    try {
      await api("POST", tenantPath("/customers/" + encodeURIComponent(id) + "/connect"), { mode: "latch", qbo_customer_id: c.qbo_customer_id });
      announce(c.display_name + " linked to billing customer " + id + ".");
      await loadImported("");
    } catch (e) {
      if (e.status !== 401) showError(e.message);
    }
  });
  const name = c.display_name + (c.company_name && c.company_name !== c.display_name ? " (" + c.company_name + ")" : "");
  return el("tr", {}, el("td", {}, name), el("td", {}, c.email || ""),
    el("td", { class: "num" }, c.balance ? c.balance + " " + (c.currency || "") : ""), el("td", {}, form));
}

async function loadImported(cursor) {
  const q = new URLSearchParams({ limit: "50" });
  if (cursor) q.set("cursor", cursor);
  const res = await api("GET", tenantPath("/quickbooks-customers?" + q));
  const rows = res.customers.map(importedRow);
  if (cursor) $("qc-rows").append(...rows);
  else $("qc-rows").replaceChildren(...rows);
  $("qc-empty").hidden = $("qc-rows").children.length > 0;
  $("qc-more").hidden = !res.next_cursor;
  state.importCursor = res.next_cursor;
  const li = res.last_import;
  $("qc-last").textContent = li ? "Last import " + when(li.imported_at) + ": " + li.read + " read, " + li.unlinked + " not linked." : "Not imported yet.";
}

$("qc-import").addEventListener("click", async (ev) => {
  const btn = ev.currentTarget;
  btn.disabled = true;
  try {
    const res = await api("POST", tenantPath("/quickbooks-customers/import"), {});
    announce("Import: " + res.found + " new of " + res.unlinked + " customers not linked.");
    await loadImported("");
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
  btn.disabled = false;
});
$("qc-more").addEventListener("click", () => loadImported(state.importCursor).catch((e) => showError(e.message)));

// ---- start ----

for (const d of document.querySelectorAll("dialog")) {
  d.addEventListener("click", (ev) => { if (ev.target.matches("[data-close]")) d.close(); });
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError("");
  if (await signIn($("login-token").value.trim())) {
    $("login-token").value = "";
    if (!window.location.hash.startsWith("#/")) window.location.hash = "#/overview";
    else await route();
  } else if (!$("alert").textContent) {
    showError("That token was not accepted.");
  }
});

// A new page starts without the last page's message.
window.addEventListener("hashchange", () => {
  window.clearTimeout(announceTimer);
  $("live").textContent = "";
  route();
});

(async function start() {
  fillKindSelect($("f-kind"), true);
  fillKindSelect($("b-kind"), true);
  readFragmentToken();
  const saved = sessionStorage.getItem("admin-token");
  if (saved && (await signIn(saved))) await route();
  else show("login");
})();
