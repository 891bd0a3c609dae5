// The storefront's charts (Chart.js, vendored): a month's usage against the commitment, per customer, and the
// invoices of the last 12 months.
// Bar lengths are Numbers; every figure a tooltip or label shows is the API's exact decimal string.

import { chartNumber, compare, formatMoney, formatQuantity, minorDigits, share } from "./money.js";

const PALETTE = ["#2563eb", "#0d9488", "#d97706", "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#dc2626"];
const COMMITMENT_COLOUR = "#94a3b8";
const FEE_COLOUR = "#fbbf24";
const HISTORY_COLOURS = { paid: "#15803d", issued: "#2563eb", draft: "#d97706", void: "#cbd5e1" };
const HISTORY_LABELS = { paid: "Paid", issued: "Issued", draft: "Draft", void: "Void (not owed)" };

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

// Bars of what the month's usage comes to against the commitment: so far (or the month's, once it ended), the
// projected month end (the running month only), and the commitment itself. A usage line keeps its colour in
// both bars, paler where projected, so a SKU billed on its peak or last reading shows the same length twice;
// the commitment fee tops a bar up to the commitment as the invoice does.
export function drawUsageChart(canvas, consumption, { running, feeSoFar }) {
  const { currency, commitment, usage_total: usageTotal, projection } = consumption;
  const usageLines = consumption.estimated_invoice.lines.filter((line) => line.kind === "usage");
  const projected = new Map((projection?.skus || []).map((sku) => [sku.sku, sku.projected_amount]));
  const labels = running ? ["So far", "Month end (projected)", "Commitment"] : ["The month", "Commitment"];
  const at = (soFar, monthEnd, commitmentBar) => (running ? [soFar, monthEnd, commitmentBar] : [soFar, commitmentBar]);
  const colours = skuColours(consumption);
  const datasets = usageLines.map((line, index) => {
    const solid = colours.get(line.sku) || colour(index);
    const end = projected.get(line.sku) ?? null;
    return {
      label: line.description,
      data: at(chartNumber(line.amount), end === null ? null : chartNumber(end), null),
      exactLabels: at(`${line.description}: ${formatMoney(line.amount, currency)}`, end === null ? "" : `${line.description}: about ${formatMoney(end, currency)}`, ""),
      backgroundColor: (context) => (running && context.dataIndex === 1 ? pale(solid) : solid),
      borderColor: solid,
      borderWidth: (context) => (running && context.dataIndex === 1 ? 1 : 0),
    };
  });
  const feeAtEnd = projection?.projected_commitment_fee ?? null;
  if (compare(feeSoFar || "0", "0") > 0 || (running && feeAtEnd !== null && compare(feeAtEnd, "0") > 0)) {
    datasets.push({
      label: "Commitment fee",
      data: at(chartNumber(feeSoFar), feeAtEnd === null ? null : chartNumber(feeAtEnd), null),
      exactLabels: at(`Commitment fee: ${formatMoney(feeSoFar || "0", currency)}`, feeAtEnd === null ? "" : `Commitment fee: about ${formatMoney(feeAtEnd, currency)}`, ""),
      backgroundColor: FEE_COLOUR,
    });
  }
  datasets.push({
    label: "Minimum commitment",
    data: at(null, null, chartNumber(commitment)),
    exactLabels: at("", "", `Minimum commitment: ${formatMoney(commitment, currency)}`),
    backgroundColor: COMMITMENT_COLOUR,
  });
  const projectedText = running && projection ? `, about ${formatMoney(projection.projected_usage_total, currency)} at the month's end` : "";
  canvas.setAttribute(
    "aria-label",
    `Usage ${running ? "so far " : ""}${formatMoney(usageTotal, currency)}${projectedText}, against a minimum commitment of ${formatMoney(commitment, currency)}.`,
  );
  return replaceChart(canvas, { type: "bar", data: { labels, datasets }, options: baseOptions(currency, true) });
}

// "#2563eb" -> the same hue at 30 % opacity, for projected segments.
function pale(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${channels.join(", ")}, 0.3)`;
}

export function customerLabel(customerId, name) {
  if (name) return name;
  return customerId.length > 12 ? `${customerId.slice(0, 8)}…` : customerId;
}

// Each customer's name from the registry (billing's customers), where it has one.
function customerNames(skus) {
  return new Map(skus.flatMap((sku) => sku.customers.filter((c) => c.name).map((c) => [c.customer_id, c.name])));
}

// Each SKU's usage line and every customer's share of its amount (quantity / the SKU's quantity x the line's
// amount, in the invoice currency whatever the price list's), for the chart and the table.
export function customerShares(consumption) {
  const digits = minorDigits(consumption.currency);
  const lines = new Map(consumption.estimated_invoice.lines.filter((line) => line.kind === "usage").map((line) => [line.sku, line]));
  return new Map(
    consumption.skus.map((sku) => {
      const line = lines.get(sku.sku) || null;
      const priced = line && line.amount !== null;
      const amounts = new Map(
        // A SKU counted at zero has a zero line: every customer's share is that zero.
        sku.customers.map((c) => [c.customer_id, priced ? (share(line.amount, c.quantity, sku.quantity, digits) ?? line.amount) : null]),
      );
      return [sku.sku, { line, amounts }];
    }),
  );
}

// The colour of each SKU, the same in every chart of the month.
export function skuColours(consumption) {
  const codes = [...consumption.skus.map((sku) => sku.sku), ...consumption.estimated_invoice.lines.map((line) => line.sku)];
  const unique = [...new Set(codes.filter(Boolean))];
  return new Map(unique.map((code, index) => [code, colour(index)]));
}

// Per customer (x), one stacked segment per SKU: the customer's share of the SKU's amount in the month.
export function drawCustomerChart(canvas, consumption) {
  const { currency, skus } = consumption;
  const shares = customerShares(consumption);
  const colours = skuColours(consumption);
  const customers = [...new Set(skus.flatMap((sku) => sku.customers.map((c) => c.customer_id)))].sort();
  const datasets = skus.map((sku) => {
    const { amounts } = shares.get(sku.sku);
    const quantities = new Map(sku.customers.map((c) => [c.customer_id, c.quantity]));
    const values = customers.map((id) => amounts.get(id) ?? null);
    return {
      label: sku.name,
      data: values.map((amount) => (amount === null ? null : chartNumber(amount))),
      exactLabels: customers.map((id, i) => (values[i] === null ? "" : `${sku.name}: ${formatQuantity(quantities.get(id))}, ${formatMoney(values[i], currency)}`)),
      backgroundColor: colours.get(sku.sku),
    };
  });
  canvas.setAttribute("aria-label", `Usage of ${customers.length} customers per SKU, in ${currency}; the table below lists it.`);
  const options = baseOptions(currency, false);
  const names = customerNames(skus);
  options.plugins.tooltip.callbacks.title = (items) => {
    if (!items.length) return "";
    const id = customers[items[0].dataIndex];
    return names.has(id) ? `${names.get(id)} (${id})` : `Customer ${id}`;
  };
  const labels = customers.map((id) => customerLabel(id, names.get(id)));
  return replaceChart(canvas, { type: "bar", data: { labels, datasets }, options });
}

// Invoice totals per month, one stacked series per status; a click on a month opens it.
export function drawInvoiceHistoryChart(canvas, { months, labels, currency, series, onPick }) {
  const datasets = series.map(({ status, totals, notes }) => ({
    label: HISTORY_LABELS[status] || status,
    data: totals.map((total) => (total === null ? null : chartNumber(total))),
    exactLabels: notes,
    backgroundColor: HISTORY_COLOURS[status] || COMMITMENT_COLOUR,
    maxBarThickness: 48,
  }));
  const invoiced = series.flatMap((s) => s.totals).filter((total) => total !== null).length;
  canvas.setAttribute("aria-label", `Invoice totals per month in ${currency}, ${labels[0]} to ${labels.at(-1)}: ${invoiced} month(s) with an invoice; the table below lists them.`);
  const options = baseOptions(currency, false);
  options.scales.x.stacked = true;
  options.plugins.tooltip.callbacks.title = (items) => (items.length ? labels[items[0].dataIndex] : "");
  options.onClick = (event, elements) => {
    if (elements.length) onPick(months[elements[0].index]);
  };
  options.onHover = (event, elements) => {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  };
  return replaceChart(canvas, { type: "bar", data: { labels, datasets }, options });
}
