// The storefront's charts (Chart.js, vendored): the month's usage against the commitment, and per customer.
// Bar lengths are Numbers; every figure a tooltip or label shows is the API's exact decimal string.

import { chartNumber, formatMoney, formatQuantity, minorDigits, multiply } from "./money.js";

const PALETTE = ["#2563eb", "#0d9488", "#d97706", "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#dc2626"];
const COMMITMENT_COLOUR = "#94a3b8";
const PROJECTION_COLOUR = "#cbd5e1";

function colour(index) {
  return PALETTE[index % PALETTE.length];
}

function replaceChart(canvas, config) {
  const existing = window.Chart.getChart(canvas);
  if (existing) existing.destroy();
  return new window.Chart(canvas, config);
}

function baseOptions(currency, horizontal) {
  const valueAxis = {
    stacked: true,
    beginAtZero: true,
    title: { display: true, text: currency },
    ticks: { callback: (value) => formatQuantity(String(value)) },
  };
  const categoryAxis = { stacked: true, grid: { display: false } };
  return {
    indexAxis: horizontal ? "y" : "x",
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: {
      legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
      tooltip: { callbacks: { label: (item) => item.dataset.exactLabels?.[item.dataIndex] ?? "" } },
    },
    scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
  };
}

// One bar of usage so far (one segment per usage line), one of the projected month end, one of the commitment.
export function drawUsageChart(canvas, consumption) {
  const { currency, commitment, usage_total: usageTotal, projection } = consumption;
  const usageLines = consumption.estimated_invoice.lines.filter((line) => line.kind === "usage" || line.kind === "adjustment");
  const labels = ["Usage so far", "Projected month end", "Commitment"];
  const datasets = usageLines.map((line, index) => ({
    label: line.description,
    data: [chartNumber(line.amount), null, null],
    exactLabels: [`${line.description}: ${formatMoney(line.amount, currency)}`, "", ""],
    backgroundColor: colour(index),
  }));
  datasets.push({
    label: "Projected usage",
    data: [null, chartNumber(projection?.projected_usage_total), null],
    exactLabels: ["", `Projected usage: ${formatMoney(projection?.projected_usage_total, currency)}`, ""],
    backgroundColor: PROJECTION_COLOUR,
  });
  datasets.push({
    label: "Minimum commitment",
    data: [null, null, chartNumber(commitment)],
    exactLabels: ["", "", `Minimum commitment: ${formatMoney(commitment, currency)}`],
    backgroundColor: COMMITMENT_COLOUR,
  });
  canvas.setAttribute(
    "aria-label",
    `Usage so far ${formatMoney(usageTotal, currency)} against a minimum commitment of ${formatMoney(commitment, currency)}.`,
  );
  return replaceChart(canvas, { type: "bar", data: { labels, datasets }, options: baseOptions(currency, true) });
}

export function customerLabel(customerId) {
  return customerId.length > 12 ? `${customerId.slice(0, 8)}…` : customerId;
}

// Per customer (x), one stacked segment per SKU: the customer's quantity at the SKU's unit price this month.
export function drawCustomerChart(canvas, consumption) {
  const { currency, skus } = consumption;
  const prices = new Map(
    consumption.estimated_invoice.lines.filter((line) => line.kind === "usage").map((line) => [line.sku, line.unit_price]),
  );
  const customers = [...new Set(skus.flatMap((sku) => sku.customers.map((c) => c.customer_id)))].sort();
  const digits = minorDigits(currency);
  const datasets = skus.map((sku, index) => {
    const price = prices.get(sku.sku);
    const byCustomer = new Map(sku.customers.map((c) => [c.customer_id, c.quantity]));
    const amounts = customers.map((id) => (byCustomer.has(id) && price ? multiply(byCustomer.get(id), price, digits) : null));
    return {
      label: sku.name,
      data: amounts.map((amount) => (amount === null ? null : chartNumber(amount))),
      exactLabels: customers.map((id, i) =>
        amounts[i] === null
          ? ""
          : `${sku.name}: ${formatQuantity(byCustomer.get(id))} × ${formatQuantity(price)} = ${formatMoney(amounts[i], currency)}`,
      ),
      backgroundColor: colour(index),
    };
  });
  canvas.setAttribute("aria-label", `Usage of ${customers.length} customers per SKU, in ${currency}; the table below lists it.`);
  const options = baseOptions(currency, false);
  options.plugins.tooltip.callbacks.title = (items) => (items.length ? `Customer ${customers[items[0].dataIndex]}` : "");
  return replaceChart(canvas, { type: "bar", data: { labels: customers.map(customerLabel), datasets }, options });
}
