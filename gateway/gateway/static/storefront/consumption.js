// "This month": usage against the commitment (gauge and charts), usage per SKU and customer, the estimated invoice.

import { showProblem } from "./api.js";
import { drawCustomerChart, drawUsageChart } from "./charts.js";
import { formatMonth, monthOf } from "./dates.js";
import { el, fillTable } from "./dom.js";
import { compare, formatMoney, formatQuantity, minorDigits, multiply, percent } from "./money.js";

const $ = (id) => document.getElementById(id);

export async function loadConsumption(gateway, resellerId, subscriptionId) {
  const rows = await gateway.json(`/api/v1/billing/resellers/${encodeURIComponent(resellerId)}/consumption`);
  return rows.find((row) => row.subscription_id === subscriptionId) || rows[0] || null;
}

export function renderConsumption(row) {
  $("consumption-title").textContent = `This month · ${formatMonth(`${monthOf(new Date())}-01`)}`;
  const message = $("consumption-message");
  const figures = $("consumption-figures");
  if (!row || row.problem) {
    message.textContent = row
      ? `Billing cannot estimate this month yet: ${row.problem}.`
      : "No paid subscription is billed this month yet.";
    message.hidden = false;
    figures.hidden = true;
    return;
  }
  message.hidden = true;
  figures.hidden = false;
  renderGauge(row);
  if (window.Chart) {
    drawUsageChart($("usage-chart"), row);
    drawCustomerChart($("customer-chart"), row);
  }
  renderUsageTable(row);
  renderEstimate(row);
}

export function showConsumptionError(error) {
  $("consumption-figures").hidden = true;
  const message = $("consumption-message");
  message.hidden = false;
  showProblem(message, error, "This month's figures could not be loaded");
}

function renderGauge(row) {
  const { currency, commitment, usage_total: usage, projection } = row;
  const share = percent(usage, commitment);
  const text = $("gauge-text");
  text.replaceChildren(
    "Usage so far ",
    el("strong", {}, formatMoney(usage, currency)),
    " of your ",
    el("strong", {}, formatMoney(commitment, currency)),
    " monthly commitment",
    share === null ? "." : ` (${share} %).`,
  );
  const fill = $("gauge-fill");
  const width = share === null ? 100 : Math.min(100, Number(share));
  fill.style.width = `${width}%`;
  fill.classList.toggle("gauge-over", share !== null && compare(usage, commitment) >= 0);
  const projected = $("projection-text");
  if (!projection) {
    projected.textContent = "";
    return;
  }
  const fee = projection.projected_commitment_fee;
  if (fee === null) {
    projected.textContent = `At this pace the month ends at about ${formatMoney(projection.projected_usage_total, currency)} of priced usage; the commitment fee cannot be estimated until the missing exchange rate is known.`;
    return;
  }
  projected.textContent =
    `At this pace the month ends at about ${formatMoney(projection.projected_usage_total, currency)} of usage` +
    (compare(fee, "0") > 0
      ? `; the commitment fee would then be ${formatMoney(fee, currency)}.`
      : ", above the commitment: no commitment fee.");
}

function renderUsageTable(row) {
  const prices = new Map(row.estimated_invoice.lines.filter((l) => l.kind === "usage").map((l) => [l.sku, l.unit_price]));
  const digits = minorDigits(row.currency);
  const rows = [];
  for (const sku of row.skus) {
    const price = prices.get(sku.sku);
    for (const customer of sku.customers) {
      rows.push([
        sku.name,
        el("code", {}, customer.customer_id),
        formatQuantity(customer.quantity),
        price ? formatQuantity(price) : "–",
        price ? formatMoney(multiply(customer.quantity, price, digits), row.currency) : "–",
      ]);
    }
  }
  fillTable($("usage-table"), {
    caption: "Usage per SKU and customer this month",
    columns: [
      { label: "SKU" },
      { label: "Customer" },
      { label: "Quantity", numeric: true },
      { label: "Unit price", numeric: true },
      { label: "Amount", numeric: true },
    ],
    rows,
    empty: "No usage reported this month yet.",
  });
}

function renderEstimate(row) {
  const { currency } = row;
  const invoice = row.estimated_invoice;
  fillTable($("estimate-table"), {
    caption: "Estimated invoice for this month",
    columns: [
      { label: "Line" },
      { label: "Quantity", numeric: true },
      { label: "Unit price", numeric: true },
      { label: "Amount", numeric: true },
    ],
    rows: invoice.lines.map((line) => [
      line.missing_fx_rate ? el("span", {}, line.description, el("br"), missingRateNote(line)) : line.description,
      line.quantity ? formatQuantity(line.quantity) : "",
      line.unit_price ? formatQuantity(line.unit_price) : "",
      line.amount === null ? "not priced" : formatMoney(line.amount, currency),
    ]),
    footer: [
      ...(invoice.totals_complete === false
        ? [[el("small", { className: "hint" }, `Totals leave out the lines without an exchange rate yet (${missingRates(row)}).`), "", "", ""]]
        : []),
      ["Subtotal", "", "", formatMoney(invoice.subtotal, currency)],
      ["Tax", "", "", formatMoney(invoice.tax, currency)],
      ["Estimated total", "", "", el("strong", { id: "estimated-total" }, formatMoney(invoice.total, currency))],
    ],
    empty: "No lines yet.",
  });
}

// A line a missing exchange rate leaves unpriced: which rate, and its amount in the currency it is in.
function missingRateNote(line) {
  const { from_currency: from, to_currency: to, on } = line.missing_fx_rate;
  return el("small", { className: "hint" }, `No ${from}→${to} exchange rate for ${on} yet: ${formatMoney(line.unconverted_amount, from)}, not converted.`);
}

function missingRates(row) {
  return (row.missing_fx_rates || []).map((rate) => `${rate.from_currency}→${rate.to_currency} on ${rate.on}`).join(", ");
}
