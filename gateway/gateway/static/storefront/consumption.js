// A month of the reseller's contract: usage per SKU and customer against the commitment (gauge and charts), and
// its invoice: the estimate and the projection while the month runs, the invoice to come for an earlier month not
// yet closed, the invoice as issued once it is. A month without figures says why and what to do.

import { showProblem } from "./api.js";
import { customerShares, drawCustomerChart, drawUsageChart } from "./charts.js";
import { addMonths, formatDate, formatMonth } from "./dates.js";
import { badge, el, fillTable } from "./dom.js";
import { compare, formatMoney, formatQuantity, percent } from "./money.js";
import { projectionSentence } from "./projection.js";

const $ = (id) => document.getElementById(id);
const BILLED_ON = { sum: "sum of the month", max: "peak of the month", last: "latest reading", average: "daily average" };

export async function loadMonthRows(gateway, resellerId, month, currentMonth) {
  // The running month without `period`: the page's clock may be a little ahead of billing's at midnight.
  const query = month === currentMonth ? "" : `?period=${month}-01`;
  return gateway.json(`/api/v1/billing/resellers/${encodeURIComponent(resellerId)}/consumption${query}`);
}

// The contract the page follows (the live one), else the first billed in the month.
export function pickRow(rows, subscriptionId) {
  return rows.find((row) => row.subscription_id === subscriptionId) || rows[0] || null;
}

// What the month is: "running", "to-come" (ended, not invoiced), "invoiced", or null (no figures).
export function monthKind(row, month, currentMonth) {
  if (!row || row.problem) return null;
  if (row.invoice) return "invoiced";
  return month === currentMonth ? "running" : "to-come";
}

// view: { month, currentMonth, row, rows, invoiceBlock (the invoiced month's summary), priceNote, noRowText }
export function renderMonth(view) {
  const { month, currentMonth, row } = view;
  const name = formatMonth(`${month}-01`);
  const kind = monthKind(row, month, currentMonth);
  $("consumption-title").textContent = month === currentMonth ? `This month · ${name}` : name;
  renderMonthNote(view, kind, name);
  const message = $("consumption-message");
  const figures = $("consumption-figures");
  if (!kind) {
    message.textContent = row ? problemText(row, month, currentMonth, name) : view.noRowText;
    message.hidden = false;
    figures.hidden = true;
    return;
  }
  message.hidden = true;
  figures.hidden = false;
  const usage = row.skus.length > 0 || row.estimated_invoice.lines.some((line) => line.kind === "usage");
  $("usage-figures").hidden = !usage;
  const empty = $("usage-empty");
  empty.hidden = usage;
  empty.textContent = usage ? "" : noUsageText(kind, name);
  if (usage) renderUsage(row, kind, name);
  renderInvoiceLines(row, kind, name, usage);
  const note = $("price-note");
  note.textContent = view.priceNote || "";
  note.hidden = !view.priceNote;
}

export function showMonthError(error, month) {
  $("consumption-figures").hidden = true;
  $("month-note").replaceChildren();
  const message = $("consumption-message");
  message.hidden = false;
  showProblem(message, error, `The figures of ${formatMonth(`${month}-01`)} could not be loaded`);
}

function renderMonthNote(view, kind, name) {
  const note = $("month-note");
  const invoiceDate = formatDate(`${addMonths(view.month, 1)}-01`);
  const others = view.rows.length > 1 ? ` You had ${view.rows.length} contracts billed in ${name}; this is your ${view.row.tier} contract.` : "";
  if (kind === "running") {
    note.replaceChildren(el("p", { className: "hint" }, `The month is running: its invoice is issued on ${invoiceDate}.${others}`));
  } else if (kind === "to-come") {
    note.replaceChildren(
      el(
        "p",
        { className: "month-status" },
        badge("Not invoiced yet", "warn"),
        ` The invoice to come: what the close of ${name} will issue, dated ${invoiceDate}, from the usage counted so far.${others}`,
      ),
    );
  } else if (kind === "invoiced") {
    note.replaceChildren(view.invoiceBlock, others ? el("p", { className: "hint" }, others.trim()) : "");
  } else {
    note.replaceChildren();
  }
}

function problemText(row, month, currentMonth, name) {
  return month === currentMonth ? `Billing cannot estimate this month yet: ${row.problem}.` : `No figures for ${name}: ${row.problem}.`;
}

function noUsageText(kind, name) {
  if (kind === "running") {
    return `No usage reported for ${name} yet: usage arrives from your Acronis collectors once a day, so the first figures show after your customers' first daily report. If nothing shows within two days, ask your distributor to check that your Acronis tenants are mapped to this contract.`;
  }
  if (kind === "to-come") {
    return `No usage was reported for ${name}. Usage reported late still counts until the month is closed; the invoice to come below has no usage lines yet.`;
  }
  return `No usage was invoiced for ${name}: the invoice below has no usage lines.`;
}

function renderUsage(row, kind, name) {
  renderGauge(row, kind, name);
  if (window.Chart) {
    const feeSoFar = row.estimated_invoice.lines.find((line) => line.kind === "commitment_fee")?.amount ?? "0";
    drawUsageChart($("usage-chart"), row, { running: kind === "running" && Boolean(row.projection), feeSoFar });
    drawCustomerChart($("customer-chart"), row);
  }
  $("usage-chart-caption").textContent = kind === "running" ? "Usage so far and at the month's end" : "Usage against the commitment";
  renderUsageTable(row, name);
}

function renderGauge(row, kind, name) {
  const { currency, commitment, usage_total: usage, projection } = row;
  // The month's own tier and commitment (an invoiced month keeps those it was billed with).
  const share = commitment ? percent(usage, commitment) : null;
  $("gauge-text").replaceChildren(
    kind === "running" ? "Usage so far " : `Usage in ${name}: `,
    el("strong", {}, formatMoney(usage, currency)),
    ` of your ${row.tier} commitment of `,
    el("strong", {}, commitment ? formatMoney(commitment, currency) : "–"),
    " a month",
    share === null ? "." : ` (${share} %).`,
  );
  const fill = $("gauge-fill");
  fill.style.width = `${share === null ? 100 : Math.min(100, Number(share))}%`;
  fill.classList.toggle("gauge-over", share !== null && compare(usage, commitment) >= 0);
  const projected = $("projection-text");
  const running = kind === "running" && projection;
  projected.hidden = !running;
  projected.replaceChildren(...(running ? projectionSentence(row, skuNames(row)) : []));
}

function skuNames(row) {
  const names = new Map(row.skus.map((sku) => [sku.sku, sku.name]));
  for (const line of row.estimated_invoice.lines) if (line.sku && !names.has(line.sku)) names.set(line.sku, line.description);
  return (sku) => names.get(sku) || sku;
}

function renderUsageTable(row, name) {
  const shares = customerShares(row);
  const rows = [];
  for (const sku of row.skus) {
    const { line, amounts } = shares.get(sku.sku);
    for (const customer of sku.customers) {
      const amount = amounts.get(customer.customer_id);
      rows.push([
        el("span", {}, sku.name, el("span", { className: "cell-note" }, BILLED_ON[sku.aggregation] || sku.aggregation)),
        customer.name ? el("span", { title: customer.customer_id }, customer.name) : el("code", {}, customer.customer_id),
        formatQuantity(customer.quantity),
        line?.unit_price ? formatQuantity(line.unit_price) : "–",
        amount === null || amount === undefined ? "not priced" : formatMoney(amount, row.currency),
      ]);
    }
  }
  fillTable($("usage-table"), {
    caption: `Usage per SKU and customer, ${name}`,
    columns: [
      { label: "SKU" },
      { label: "Customer" },
      { label: "Quantity", numeric: true },
      { label: "Unit price", numeric: true },
      { label: "Amount", numeric: true },
    ],
    rows,
    empty: `No usage reported for ${name}.`,
  });
}

function renderInvoiceLines(row, kind, name, usage) {
  const { currency } = row;
  const invoice = row.estimated_invoice;
  const titles = { running: "Estimated invoice so far", "to-come": "The invoice to come", invoiced: `Invoice ${row.invoice?.invoice_number || "(draft)"} as issued` };
  $("estimate-title").textContent = titles[kind];
  const projected = kind === "running" && row.projection && usage ? projectedAmounts(row) : null;
  const blank = projected ? [""] : [];
  fillTable($("estimate-table"), {
    caption: `${titles[kind]}, ${name}`,
    columns: [
      { label: "Line" },
      { label: "Quantity", numeric: true },
      { label: "Unit price", numeric: true },
      { label: kind === "running" ? "Amount so far" : "Amount", numeric: true },
      ...(projected ? [{ label: "Month end (projected)", numeric: true }] : []),
    ],
    rows: invoice.lines.map((line) => [
      line.missing_fx_rate ? el("span", {}, line.description, el("br"), missingRateNote(line)) : line.description,
      line.quantity ? formatQuantity(line.quantity) : "",
      line.unit_price ? formatQuantity(line.unit_price) : "",
      line.amount === null ? "not priced" : formatMoney(line.amount, currency),
      ...(projected ? [projected(line)] : []),
    ]),
    footer: [
      ...(invoice.totals_complete === false
        ? [[el("small", { className: "hint" }, `Totals leave out the lines without an exchange rate yet (${missingRates(row)}).`), "", "", "", ...blank]]
        : []),
      ["Subtotal", "", "", formatMoney(invoice.subtotal, currency), ...blank],
      ["Tax", "", "", formatMoney(invoice.tax, currency), ...blank],
      [kind === "invoiced" ? "Total" : "Estimated total", "", "", el("strong", { id: "estimated-total" }, formatMoney(invoice.total, currency)), ...blank],
    ],
    empty: "No lines yet.",
  });
}

// The projected column: each usage line's month end and the fee on them (the figures of the sentence and chart).
function projectedAmounts(row) {
  const { projection, currency } = row;
  const bySku = new Map(projection.skus.map((sku) => [sku.sku, sku]));
  return (line) => {
    if (line.kind === "usage" && bySku.has(line.sku)) {
      const sku = bySku.get(line.sku);
      const stays = compare(sku.projected_amount, sku.amount) === 0 && sku.aggregation !== "sum";
      return el("span", { "data-sku": line.sku }, formatMoney(sku.projected_amount, currency), stays ? el("span", { className: "cell-note" }, "stays") : null);
    }
    if (line.kind === "commitment_fee" && projection.projected_commitment_fee !== null) {
      return el("span", { id: "projected-fee-cell" }, formatMoney(projection.projected_commitment_fee, currency));
    }
    return "";
  };
}

// A line a missing exchange rate leaves unpriced: which rate, and its amount in the currency it is in.
function missingRateNote(line) {
  const { from_currency: from, to_currency: to, on } = line.missing_fx_rate;
  return el("small", { className: "hint" }, `No ${from}→${to} exchange rate for ${on} yet: ${formatMoney(line.unconverted_amount, from)}, not converted.`);
}

function missingRates(row) {
  return (row.missing_fx_rates || []).map((rate) => `${rate.from_currency}→${rate.to_currency} on ${rate.on}`).join(", ");
}
