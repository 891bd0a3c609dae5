// The distributor's month: revenue, cost and margin (billing), SLA breaches (support reports) and the settings in
// force on its 1st, for admins.

import { Gateway, KeyStore, hideMessage, showNotice, showProblem, wireSignIn } from "./api.js";
import { addMonths, formatDuration, formatMonth, monthOf } from "./dates.js";
import { el, fillTable } from "./dom.js";
import { chartNumber, formatMoney, percent } from "./money.js";
import { SettingsSection } from "./settings.js";

const $ = (id) => document.getElementById(id);
const keys = new KeyStore("bss.storefront.admin-key");
const gateway = new Gateway(keys);
let resellerNames = new Map();
const settings = new SettingsSection({
  gateway,
  container: $("billing-settings"),
  support: $("support-settings"),
  title: $("settings-title"),
  hint: $("settings-hint"),
  resellerName: (id) => resellerNames.get(id) || id,
  onProblem: (error, context) => showProblem($("alert"), error, context),
});

function stat(label, value, note, id) {
  return el("div", { className: "stat", id }, el("p", { className: "stat-label" }, label), el("p", { className: "stat-value" }, value), note ? el("p", { className: "stat-note" }, note) : null);
}

async function enter(caller) {
  hideMessage($("alert"));
  $("account-name").textContent = caller.subject === "bootstrap-admin" ? "bootstrap admin" : caller.subject;
  $("account").hidden = false;
  $("sign-in").hidden = true;
  $("admin-view").hidden = false;
  const month = $("month");
  if (!month.value) month.value = addMonths(monthOf(new Date()), -1); // the last month that can be closed
  await loadResellerNames();
  await showMonth(month.value);
}

function signOut(message) {
  keys.clear();
  $("account").hidden = true;
  $("admin-view").hidden = true;
  $("sign-in").hidden = false;
  if (message) showNotice($("notice"), message);
  $("api-key").focus();
}

async function loadResellerNames() {
  try {
    const resellers = await gateway.all("/api/v1/subscriptions/resellers");
    resellerNames = new Map(resellers.map((r) => [r.id, r.legal_name]));
  } catch (error) {
    resellerNames = new Map(); // the margins still show, with reseller ids
  }
}

async function showMonth(month) {
  hideMessage($("alert"));
  $("month-title").textContent = `The distributor's month · ${formatMonth(`${month}-01`)}`;
  await Promise.all([showMargins(month), showTrend(month), showSla(month), settings.show(month)]);
}

// The 12 months up to the one shown, in the reporting currency (each month's total at its own invoice date's
// rates): revenue, cost and margin as lines; a month without invoices is 0, one with a missing rate is marked.
async function showTrend(month) {
  const months = Array.from({ length: 12 }, (_, i) => addMonths(month, i - 11));
  let answers;
  try {
    answers = await Promise.all(months.map((m) => gateway.json(`/api/v1/billing/distributor/margins?period=${m}-01`)));
  } catch (error) {
    $("trend-chart").closest("figure").hidden = true;
    return;
  }
  drawTrendChart(months, answers);
}

function drawTrendChart(months, answers) {
  const canvas = $("trend-chart");
  const existing = window.Chart?.getChart(canvas);
  if (existing) existing.destroy();
  const invoiced = answers.filter((a) => a.total.length);
  canvas.closest("figure").hidden = !invoiced.length || !window.Chart;
  if (!invoiced.length || !window.Chart) return;
  // One invoice currency in all 12 months: its own figures. Several: the reporting currency, where each month's
  // rates allow (a month with a missing rate is a gap, not a zero).
  const currencies = new Set(invoiced.flatMap((a) => a.total.map((t) => t.currency)));
  const single = currencies.size === 1 ? [...currencies][0] : null;
  const currency = single || invoiced[invoiced.length - 1].reporting.currency;
  const figure = (a, field) => {
    if (single) return a.total.length ? a.total[0][field] : "0";
    return a.total.length && !a.reporting.complete ? null : a.reporting[field];
  };
  const incomplete = single ? [] : months.filter((_, i) => answers[i].total.length && !answers[i].reporting.complete);
  const note = incomplete.length ? `; no figure for ${incomplete.map((m) => formatMonth(`${m}-01`)).join(", ")} (a rate is missing)` : "";
  $("trend-chart-caption").textContent = single
    ? `The last 12 months, ${currency}`
    : `The last 12 months, all currencies in ${currency} at each month's invoice-date rates${note}`;
  const series = [
    ["Revenue", "revenue", "#2563eb"],
    ["Cost", "cost", "#94a3b8"],
    ["Margin", "margin", "#0d9488"],
  ];
  canvas.setAttribute("aria-label", `Revenue, cost and margin of the last 12 months in ${currency}.`);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: months.map((m) => formatMonth(`${m}-01`)),
      datasets: series.map(([label, field, colour]) => ({
        label,
        data: answers.map((a) => (figure(a, field) === null ? null : chartNumber(figure(a, field)))),
        exactLabels: answers.map((a) => (figure(a, field) === null ? `${label}: no rate` : `${label}: ${formatMoney(figure(a, field), currency)}`)),
        borderColor: colour,
        backgroundColor: colour,
        tension: 0.2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { label: (item) => item.dataset.exactLabels[item.dataIndex] } },
      },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, title: { display: true, text: currency } } },
    },
  });
}

async function showMargins(month) {
  try {
    const margins = await gateway.json(`/api/v1/billing/distributor/margins?period=${month}-01`);
    renderMargins(margins);
  } catch (error) {
    $("margin-totals").replaceChildren();
    showProblem($("alert"), error, "Revenue and margin could not be loaded");
  }
}

function withMargin(figures) {
  const share = percent(figures.margin, figures.revenue);
  return share === null ? "–" : `${share} %`;
}

// The month in one reporting currency (only when invoices are in more than one): each currency converted at the
// invoice date's rates, which are named; a currency without a rate is left out and said so.
function reportingStats(margins) {
  const reporting = margins.reporting;
  if (!reporting || margins.total.length < 2) return [];
  const rates = reporting.rates.map((r) => `1 ${r.from_currency} = ${r.rate} ${r.to_currency}`).join(", ");
  const missing = reporting.missing_fx_rates.map((m) => m.from_currency).join(", ");
  const basis = `at the rates of ${reporting.rates_on}${rates ? ` (${rates})` : ""}${missing ? `; without ${missing}: no rate` : ""}`;
  const c = reporting.currency;
  return [
    stat(`Revenue, all in ${c}`, formatMoney(reporting.revenue, c), basis, "revenue-reporting"),
    stat(`Cost, all in ${c}`, formatMoney(reporting.cost, c)),
    stat(`Margin, all in ${c}`, formatMoney(reporting.margin, c), `${withMargin(reporting)} of revenue`, "margin-reporting"),
  ];
}

function renderMargins(margins) {
  const totals = $("margin-totals");
  if (!margins.total.length) {
    totals.replaceChildren(el("p", { className: "hint" }, "No issued invoices for this month: close the month first."));
  } else {
    totals.replaceChildren(
      ...margins.total.flatMap((t) => [
        stat(`Revenue (${t.currency})`, formatMoney(t.revenue, t.currency), null, `revenue-${t.currency}`),
        stat(`Cost (${t.currency})`, formatMoney(t.cost, t.currency)),
        stat(`Margin (${t.currency})`, formatMoney(t.margin, t.currency), `${withMargin(t)} of revenue`, `margin-${t.currency}`),
      ]),
      ...reportingStats(margins),
    );
  }
  const columns = (first) => [
    { label: first },
    { label: "Currency" },
    { label: "Revenue", numeric: true },
    { label: "Cost", numeric: true },
    { label: "Margin", numeric: true },
    { label: "Margin %", numeric: true },
  ];
  const figures = (row) => [row.currency, formatMoney(row.revenue, row.currency), formatMoney(row.cost, row.currency), formatMoney(row.margin, row.currency), withMargin(row)];
  const resellerColumns = [...columns("Reseller"), { label: "Cost basis" }];
  fillTable($("tier-table"), { caption: "Per tier", columns: columns("Tier"), rows: margins.per_tier.map((r) => [r.tier || "–", ...figures(r)]), empty: "No invoices." });
  fillTable($("reseller-table"), {
    caption: "Per reseller (cost: the vendor price less the distributor's discount and, while active all month, the Tier 1 program's)",
    columns: resellerColumns,
    rows: margins.per_reseller.map((r) => [resellerNames.get(r.reseller_id) || r.reseller_id, ...figures(r), r.cost_basis || "–"]),
    empty: "No invoices.",
  });
  drawTierChart(margins);
}

function drawTierChart(margins) {
  const canvas = $("tier-chart");
  const currency = margins.total[0]?.currency;
  const existing = window.Chart?.getChart(canvas);
  if (existing) existing.destroy();
  canvas.closest("figure").hidden = !currency || !window.Chart;
  if (!currency || !window.Chart) return;
  const rows = margins.per_tier.filter((r) => r.currency === currency);
  const others = margins.total.length > 1 ? " (other currencies: see the tables)" : "";
  $("tier-chart-caption").textContent = `Revenue, cost and margin per tier, ${currency}${others}`;
  const series = [
    ["Revenue", "revenue", "#2563eb"],
    ["Cost", "cost", "#94a3b8"],
    ["Margin", "margin", "#0d9488"],
  ];
  canvas.setAttribute("aria-label", `Revenue, cost and margin of ${rows.length} tiers in ${currency}; the table below lists them.`);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r.tier || "–"),
      datasets: series.map(([label, field, colour]) => ({
        label,
        data: rows.map((r) => chartNumber(r[field])),
        exactLabels: rows.map((r) => `${label}: ${formatMoney(r[field], currency)}`),
        backgroundColor: colour,
        maxBarThickness: 56,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { label: (item) => item.dataset.exactLabels[item.dataIndex] } },
      },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, title: { display: true, text: currency } } },
    },
  });
}

async function report(name, month) {
  const from = `${month}-01T00:00:00Z`;
  const to = `${addMonths(month, 1)}-01T00:00:00Z`;
  const answer = await gateway.json(`/api/v1/support/reports/${name}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  return answer.rows;
}

async function showSla(month) {
  try {
    const [[firstResponse], resolution, [open]] = await Promise.all([report("d", month), report("e", month), report("c", month)]);
    renderSla(firstResponse, resolution, open);
  } catch (error) {
    $("sla-totals").replaceChildren();
    showProblem($("alert"), error, "The SLA reports could not be loaded");
  }
}

function attainment(row) {
  return row.sla_attainment_percent === null ? "no measured cases" : `${row.sla_attainment_percent} % on time`;
}

function renderSla(firstResponse, resolution, open) {
  const resolved = resolution.reduce((sum, row) => sum + row.count, 0);
  const resolutionBreaches = resolution.reduce((sum, row) => sum + row.sla_breaches, 0);
  $("sla-totals").replaceChildren(
    stat("Cases opened", String(firstResponse.cases), `${open.open_cases} still open`),
    stat("First responses breached", String(firstResponse.sla_breaches), `of ${firstResponse.count} answered · ${attainment(firstResponse)}`, "first-response-breaches"),
    stat("Resolutions breached", String(resolutionBreaches), `of ${resolved} resolved in the month`, "resolution-breaches"),
    stat("Median first response", formatDuration(firstResponse.median_seconds), `90 % within ${formatDuration(firstResponse.p90_seconds)}`),
  );
  fillTable($("severity-table"), {
    caption: "Resolution by severity",
    columns: [
      { label: "Severity" },
      { label: "Resolved", numeric: true },
      { label: "Breached", numeric: true },
      { label: "On time", numeric: true },
      { label: "Median time", numeric: true },
      { label: "90th percentile", numeric: true },
    ],
    rows: resolution.map((row) => [
      row.severity,
      String(row.count),
      String(row.sla_breaches),
      row.sla_attainment_percent === null ? "–" : `${row.sla_attainment_percent} %`,
      formatDuration(row.median_seconds),
      formatDuration(row.p90_seconds),
    ]),
    empty: "No ticket was resolved in the month.",
  });
}

wireSignIn({
  form: $("sign-in-form"),
  input: $("api-key"),
  keys,
  gateway,
  alert: $("alert"),
  accept: (caller) => (caller.role === "admin" ? null : `This page is for distributor admins; a ${caller.role} key cannot open it.`),
  onSignedIn: enter,
});
$("sign-out").addEventListener("click", () => signOut("You are signed out."));
$("month-form").addEventListener("submit", (event) => {
  event.preventDefault();
  showMonth($("month").value);
});

if (keys.get()) {
  try {
    await enter(await gateway.json("/gateway/v1/me"));
  } catch (error) {
    signOut();
    showProblem($("alert"), error, "Your saved key was refused");
  }
}
