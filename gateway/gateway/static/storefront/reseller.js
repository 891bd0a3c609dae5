// The reseller's storefront: tiers, its subscription, a month (usage, invoice, tickets) picked from its contract's
// months, the invoices with their 12-month history, all through the gateway.

import { Gateway, KeyStore, hideMessage, showNotice, showProblem, wireSignIn } from "./api.js";
import { loadMonthRows, pickRow, renderMonth, showMonthError } from "./consumption.js";
import { addMonths, formatDate, formatDateTime, formatMonth, monthOf } from "./dates.js";
import { badge, definitionList, el } from "./dom.js";
import { Downloads, fxNote, invoiceSummary, loadInvoices, periodMonth, renderInvoiceHistory, renderInvoiceTable } from "./invoices.js";
import { MonthPicker, monthFromHash } from "./month.js";
import { formatMoney } from "./money.js";
import { loadTickets, renderTickets } from "./tickets.js";
import { ChangeDialog, commitmentIn, loadCatalog, renderTiers } from "./tiers.js";

const $ = (id) => document.getElementById(id);
const keys = new KeyStore("bss.storefront.reseller-key");
const gateway = new Gateway(keys);
const LIVE_STATES = new Set(["active", "trial", "suspended"]);
const state = { caller: null, reseller: null, subscription: null, subscriptions: [], catalog: null, prices: null, invoices: [], tickets: [], month: null, loads: 0 };
const dialog = new ChangeDialog(gateway, afterChange);
const downloads = new Downloads(gateway, $("alert"));
const picker = new MonthPicker({
  container: $("month-nav"),
  select: $("month-select"),
  previous: $("month-previous"),
  next: $("month-next"),
  panel: $("consumption"),
  onShow: showMonth,
});

// Billing months are UTC months.
function currentMonth() {
  return monthOf(new Date());
}

function account() {
  if (!state.reseller) return null;
  const currentProduct = state.catalog?.products.find((p) => p.id === state.subscription?.current_product_id) || null;
  return { currency: state.reseller.billing_currency, subscription: state.subscription, currentProduct, prices: state.prices };
}

// The unit prices this reseller pays per tier (its custom list, else the sell prices), in its billing currency
// when that is a vendor price list, else in USD (what an FX-billed invoice is rated from by default).
const PRICE_LISTS = ["USD", "EUR", "GBP", "AUD", "JPY", "CAD"];
async function loadUnitPrices() {
  const own = state.reseller.billing_currency;
  const currency = PRICE_LISTS.includes(own) ? own : "USD";
  try {
    const [prices, skus] = await Promise.all([
      gateway.json(`/api/v1/catalog/resellers/${encodeURIComponent(state.reseller.id)}/prices?currency=${currency}`),
      gateway.json("/api/v1/catalog/skus"),
    ]);
    const names = new Map(skus.map((s) => [s.sku, s]));
    const perProduct = new Map();
    for (const price of prices) {
      const sku = names.get(price.sku);
      const row = { sku: price.sku, name: sku?.name || price.sku, unit: sku?.unit || "", price: price.unit_price, currency: price.currency };
      perProduct.set(price.product_id, [...(perProduct.get(price.product_id) || []), row]);
    }
    state.prices = { currency, converted: currency !== own ? own : null, perProduct };
  } catch (error) {
    state.prices = null; // the tiers still show their commitments
  }
  drawTiers();
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
  await Promise.all([refreshInvoices(), refreshTickets(), loadUnitPrices()]);
  setMonthRange();
  drawHistory();
  await picker.show(picker.requested(), { scroll: Boolean(monthFromHash(window.location.hash)) });
}

function signOut(message) {
  keys.clear();
  state.loads += 1; // a month still loading is not drawn any more
  Object.assign(state, { caller: null, reseller: null, subscription: null, subscriptions: [], invoices: [], tickets: [], month: null });
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
    state.subscriptions = await gateway.all("/api/v1/subscriptions/subscriptions");
    state.subscription = state.subscriptions.find((s) => LIVE_STATES.has(s.status)) || null;
    renderSubscription(body, state.subscription);
  } catch (error) {
    Object.assign(state, { subscription: null, subscriptions: [] });
    showProblem(body, error, "Your subscription could not be loaded");
  }
  drawTiers();
}

function renderSubscription(body, subscription) {
  if (!subscription) {
    const text = state.subscriptions.length
      ? "You have no running contract: order a tier below to start a new one. Your earlier months stay below."
      : "You have no contract yet: order a tier below. Your usage, invoices and tickets show on this page from its first month.";
    body.replaceChildren(el("p", { className: "empty-state", id: "no-contract" }, text));
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
    ["Minimum commitment", commitmentText(commitment, subscription.billing_currency)],
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

// The months of the contracts (from the first one's start, or the first invoice's month) to the current one.
function setMonthRange() {
  const starts = state.subscriptions.filter((s) => s.started_at).map((s) => monthOf(new Date(s.started_at)));
  const first = [...starts, ...state.invoices.map(periodMonth)].sort()[0] || null;
  picker.setRange(first, currentMonth());
}

// Draw a month: its usage and invoice (billing's consumption view) and its tickets. Returns its row, or null.
async function showMonth(month, refused) {
  const load = ++state.loads;
  state.month = month;
  if (refused) showNotice($("notice"), `${formatMonth(`${refused}-01`)} is not one of your contract's months: here is ${formatMonth(`${month}-01`)}.`);
  renderTickets(state.tickets, month);
  renderInvoiceTable(state.invoices, downloads, month);
  const view = { month, currentMonth: currentMonth(), row: null, rows: [], invoiceBlock: null, noRowText: noRowText(month) };
  if (!state.subscriptions.length) {
    renderMonth(view);
    return null;
  }
  try {
    const rows = await loadMonthRows(gateway, state.reseller.id, month, view.currentMonth);
    const row = pickRow(rows, state.subscription?.id);
    const invoice = row?.invoice ? await invoiceOf(row) : null;
    if (load !== state.loads) return null; // another month was asked for meanwhile
    const invoiceBlock = invoice ? invoiceSummary(invoice, downloads) : null;
    renderMonth({ ...view, row, rows, invoiceBlock, priceNote: invoice ? fxNote(invoice) : null });
    return row;
  } catch (error) {
    if (load === state.loads) showMonthError(error, month);
    return null;
  }
}

// The month's invoice with its total and credits: from the list, else read on its own.
async function invoiceOf(row) {
  const listed = state.invoices.find((invoice) => invoice.invoice_id === row.invoice.invoice_id);
  if (listed) return listed;
  try {
    return await gateway.json(`/api/v1/billing/invoices/${encodeURIComponent(row.invoice.invoice_id)}`);
  } catch (error) {
    const { invoice_id: id, invoice_number: number, status } = row.invoice;
    return { invoice_id: id, number, status, total: row.estimated_invoice.total, currency: row.currency, credited: "0", period: `${state.month}-01` };
  }
}

function noRowText(month) {
  const name = formatMonth(`${month}-01`);
  if (!state.subscriptions.length) {
    return "You have no contract yet: order one of the tiers above. Your usage and your invoice show here from its first month.";
  }
  if (month !== currentMonth()) return `No paid contract was billed in ${name}: nothing was invoiced for it.`;
  if (state.subscription?.status === "trial") {
    return `Your trial runs in ${name}: trial usage is never invoiced, so there is no estimate. Usage and the invoice show here from the first paid month.`;
  }
  return `No paid contract is billed in ${name} yet. A contract ordered a moment ago shows here within seconds.`;
}

async function refreshInvoices() {
  try {
    state.invoices = await loadInvoices(gateway);
  } catch (error) {
    state.invoices = [];
    showProblem($("alert"), error, "Your invoices could not be loaded");
  }
}

function drawHistory() {
  renderInvoiceHistory(state.invoices, { currentMonth: currentMonth(), firstMonth: picker.first, noInvoiceText: noInvoiceText(), onPick: (month) => picker.go(month) });
}

function noInvoiceText() {
  if (state.invoices.length) return "No invoice in the last 12 months: the table below lists the earlier ones.";
  if (!state.subscriptions.length) return "No invoice yet: invoices are issued on the 1st for the month before, once you have a contract.";
  const start = state.subscription?.started_at ? monthOf(new Date(state.subscription.started_at)) : null;
  const firstDate = start ? addMonths(start, 1) : null;
  if (!firstDate || firstDate <= currentMonth() || state.subscription.status === "trial") {
    return "No invoice yet: invoices are issued on the 1st for the month before, once a paid month has ended.";
  }
  return `No invoice yet: your first invoice, for ${formatMonth(`${start}-01`)}, is issued on ${formatDate(`${firstDate}-01`)}.`;
}

async function refreshTickets() {
  try {
    state.tickets = await loadTickets(gateway);
  } catch (error) {
    state.tickets = [];
    showProblem($("alert"), error, "Your tickets could not be loaded");
  }
}

function commitmentText(commitment, currency) {
  if (!commitment) return "–";
  const amount = `${formatMoney(commitment.amount, commitment.currency)} a month`;
  // No commitment in the billing currency: the invoice converts it at the exchange rate of its date.
  return commitment.currency === currency ? amount : el("span", {}, amount, el("span", { className: "cell-note" }, `invoiced in ${currency} at the rate of the invoice date`));
}

async function afterChange(kind, product, result) {
  if (kind === "order") {
    showNotice($("notice"), `Ordered: your ${product.tier} contract is ${result.status}.`);
  } else {
    const when = formatDate(result.effective_from);
    showNotice($("notice"), `Done: your subscription ${kind === "upgrade" ? "is upgraded" : "moves"} to ${result.to_tier} from ${when}.`);
  }
  await loadSubscription();
  setMonthRange();
  drawHistory();
  if (kind === "downgrade") return; // it applies from the next month
  await picker.go(currentMonth()); // the change is this month's
  await followBilling(product.tier);
}

// Billing learns the change from an event a moment later: refresh this month until it shows the new tier (or the
// reseller opens another month).
async function followBilling(tier) {
  const month = currentMonth();
  for (let attempt = 0; attempt < 20 && state.reseller && state.month === month; attempt += 1) {
    const row = await showMonth(month);
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
