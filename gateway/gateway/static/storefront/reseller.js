// The reseller's storefront: tiers, its subscription, this month, invoices and tickets, all through the gateway.

import { Gateway, KeyStore, hideMessage, showNotice, showProblem, wireSignIn } from "./api.js";
import { loadConsumption, renderConsumption, showConsumptionError } from "./consumption.js";
import { formatDate, formatDateTime, formatMonth } from "./dates.js";
import { badge, definitionList, el, fillTable } from "./dom.js";
import { formatMoney } from "./money.js";
import { ChangeDialog, commitmentIn, loadCatalog, renderTiers } from "./tiers.js";

const $ = (id) => document.getElementById(id);
const keys = new KeyStore("bss.storefront.reseller-key");
const gateway = new Gateway(keys);
const LIVE_STATES = new Set(["active", "trial", "suspended"]);
const TARGET_NAMES = { first_response: "First response", temporary_solution: "Temporary solution", permanent_resolution: "Resolution" };
const state = { caller: null, reseller: null, subscription: null, catalog: null };
const dialog = new ChangeDialog(gateway, afterChange);

function account() {
  if (!state.reseller) return null;
  const currentProduct = state.catalog?.products.find((p) => p.id === state.subscription?.current_product_id) || null;
  return { currency: state.reseller.billing_currency, subscription: state.subscription, currentProduct };
}

function drawTiers() {
  if (state.catalog) renderTiers(state.catalog, account(), (product, kind) => dialog.open(product, kind, account()));
}

async function loadTiers() {
  try {
    state.catalog = await loadCatalog(gateway);
    drawTiers();
  } catch (error) {
    showProblem($("tier-list"), error, "The tiers could not be loaded");
  }
}

async function enter(caller) {
  state.caller = caller;
  hideMessage($("alert"));
  state.reseller = await gateway.json(`/api/v1/subscriptions/resellers/${encodeURIComponent(caller.tenant_id)}`);
  $("account-name").textContent = state.reseller.legal_name;
  $("account").hidden = false;
  $("sign-in").hidden = true;
  $("reseller-view").hidden = false;
  $("subscription").after($("tiers")); // signed in, the tiers are the choices next to the subscription
  await loadSubscription();
  await Promise.all([refreshConsumption(), loadInvoices(), loadTickets()]);
}

function signOut(message) {
  keys.clear();
  Object.assign(state, { caller: null, reseller: null, subscription: null });
  $("account").hidden = true;
  $("reseller-view").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in").after($("tiers"));
  hideMessage($("notice"));
  if (message) showNotice($("notice"), message);
  drawTiers();
  $("api-key").focus();
}

async function loadSubscription() {
  const body = $("subscription-body");
  try {
    const subscriptions = await gateway.all("/api/v1/subscriptions/subscriptions");
    state.subscription = subscriptions.find((s) => LIVE_STATES.has(s.status)) || null;
    renderSubscription(body, state.subscription);
  } catch (error) {
    state.subscription = null;
    showProblem(body, error, "Your subscription could not be loaded");
  }
  drawTiers();
}

function renderSubscription(body, subscription) {
  if (!subscription) {
    body.replaceChildren(el("p", { className: "hint" }, "You have no contract yet: choose a tier above to order one."));
    return;
  }
  const product = state.catalog?.products.find((p) => p.id === subscription.current_product_id);
  const commitment = product ? commitmentIn(product, subscription.billing_currency) : null;
  const pending = subscription.pending_change;
  const pendingProduct = pending && state.catalog?.products.find((p) => p.id === pending.to_product_id);
  const facts = [
    ["Tier", el("strong", { id: "current-tier" }, subscription.current_tier || "–")],
    ["Product", subscription.current_product_name || "–"],
    ["Status", badge(subscription.status, subscription.status === "active" ? "ok" : "warn")],
    ["Minimum commitment", commitment ? `${formatMoney(commitment.amount, commitment.currency)} a month` : "–"],
    ["Billing currency", subscription.billing_currency],
    ["Started", formatDateTime(subscription.started_at)],
  ];
  if (pending) {
    facts.push(["Ordered change", `${pending.direction} to ${pendingProduct?.tier || pending.to_product_id} from ${formatDate(pending.effective_from)}`]);
  }
  if (subscription.trial_last_day) facts.push(["Trial ends", formatDate(subscription.trial_last_day)]);
  if (subscription.ramp_up_cycles) facts.push(["Ramp-up", `${subscription.ramp_up_cycles} month(s) without the commitment`]);
  if (subscription.ends_at) facts.push(["Ends", formatDateTime(subscription.ends_at)]);
  body.replaceChildren(definitionList(facts));
}

async function refreshConsumption() {
  try {
    const row = await loadConsumption(gateway, state.reseller.id, state.subscription?.id);
    renderConsumption(row);
    return row;
  } catch (error) {
    showConsumptionError(error);
    return null;
  }
}

async function loadInvoices() {
  const table = $("invoice-table");
  try {
    const invoices = await gateway.all("/api/v1/billing/invoices", { limit: 50, maxPages: 2 });
    fillTable(table, {
      caption: "Your invoices",
      columns: [{ label: "Month" }, { label: "Number" }, { label: "Status" }, { label: "Total", numeric: true }, { label: "Download" }],
      rows: invoices.map((invoice) => [
        formatMonth(invoice.period),
        invoice.number || "draft",
        badge(invoice.status, invoice.status === "paid" ? "ok" : invoice.status === "void" ? "muted" : "info"),
        formatMoney(invoice.total, invoice.currency),
        el("span", { className: "downloads" }, downloadButton(invoice, "pdf"), downloadButton(invoice, "csv")),
      ]),
      empty: "No invoice yet: the first one is issued on the 1st after your first month.",
    });
  } catch (error) {
    table.replaceChildren();
    showProblem($("alert"), error, "Your invoices could not be loaded");
  }
}

function downloadButton(invoice, format) {
  const name = `${invoice.number || invoice.invoice_id}.${format}`;
  return el(
    "button",
    {
      type: "button",
      className: "button-small",
      "aria-label": `Download invoice ${invoice.number || ""} for ${formatMonth(invoice.period)} as ${format.toUpperCase()}`,
      onClick: () => download(`/api/v1/billing/invoices/${encodeURIComponent(invoice.invoice_id)}.${format}`, name, format),
    },
    format.toUpperCase(),
  );
}

async function download(path, filename, format) {
  try {
    const blob = await gateway.blob(path, format === "pdf" ? "application/pdf" : "text/csv");
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    showProblem($("alert"), error, `${filename} could not be downloaded`);
  }
}

async function loadTickets() {
  const table = $("ticket-table");
  try {
    const tickets = await gateway.all("/api/v1/support/tickets", { limit: 100, maxPages: 2 });
    fillTable(table, {
      caption: "Your support tickets with their SLA due times",
      columns: [{ label: "Ticket" }, { label: "Severity" }, { label: "State" }, { label: "SLA targets" }],
      rows: tickets.map((ticket) => [
        el("span", {}, ticket.subject, el("span", { className: "cell-note" }, `opened ${formatDateTime(ticket.opened_at)}`)),
        el("abbr", { title: ticket.severity_meaning }, ticket.severity),
        ticket.state.replaceAll("_", " "),
        el("ul", { className: "targets" }, ticket.targets.map(targetItem)),
      ]),
      empty: "No tickets.",
    });
  } catch (error) {
    table.replaceChildren();
    showProblem($("alert"), error, "Your tickets could not be loaded");
  }
}

function targetItem(target) {
  const kind = { met: "ok", breached: "bad", paused: "warn", running: "info" }[target.state] || "muted";
  return el(
    "li",
    { "data-target": target.target },
    el("span", { className: "target-name" }, TARGET_NAMES[target.target] || target.target),
    target.due_at ? el("time", { datetime: target.due_at }, `due ${formatDateTime(target.due_at)}`) : el("span", {}, "no due time"),
    badge(target.state.replaceAll("_", " "), kind),
  );
}

async function afterChange(kind, product, result) {
  if (kind === "order") {
    showNotice($("notice"), `Ordered: your ${product.tier} contract is ${result.status}.`);
  } else {
    const when = formatDate(result.effective_from);
    showNotice($("notice"), `Done: your subscription ${kind === "upgrade" ? "is upgraded" : "moves"} to ${result.to_tier} from ${when}.`);
  }
  await loadSubscription();
  if (kind !== "downgrade") await followBilling(product.tier); // a downgrade applies from the next month
}

// Billing learns the change from an event a moment later: refresh this month until it shows the new tier.
async function followBilling(tier) {
  for (let attempt = 0; attempt < 20 && state.reseller; attempt += 1) {
    const row = await refreshConsumption();
    if (row && !row.problem && row.tier === tier) return;
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

wireSignIn({
  form: $("sign-in-form"),
  input: $("api-key"),
  keys,
  gateway,
  alert: $("alert"),
  accept: (caller) => {
    if (caller.role === "reseller") return null;
    if (caller.role === "admin") return "This is a distributor key: the distributor view is at /storefront/admin.";
    return `A ${caller.role} key cannot open a reseller's account; use the reseller key your distributor gave you.`;
  },
  onSignedIn: enter,
});
$("sign-out").addEventListener("click", () => signOut("You are signed out."));

await loadTiers();
if (keys.get()) {
  try {
    await enter(await gateway.json("/gateway/v1/me"));
  } catch (error) {
    signOut();
    showProblem($("alert"), error, "Your saved key was refused");
  }
}
