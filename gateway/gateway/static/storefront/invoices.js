// The reseller's invoices: status badges, downloads (PDF, CSV, e-invoice XML), the list, and the 12-month history.

import { showProblem } from "./api.js";
import { drawInvoiceHistoryChart } from "./charts.js";
import { addMonths, formatDate, formatMonth, formatShortMonth, monthsFrom } from "./dates.js";
import { badge, el, fillTable } from "./dom.js";
import { add, compare, formatMoney } from "./money.js";

const $ = (id) => document.getElementById(id);
const STATUS_KINDS = { draft: "warn", issued: "info", paid: "ok", void: "muted" };
const MEDIA_TYPES = { pdf: "application/pdf", csv: "text/csv", xml: "application/xml" };
export const HISTORY_MONTHS = 12;

export async function loadInvoices(gateway) {
  return gateway.all("/api/v1/billing/invoices", { limit: 100, maxPages: 5 });
}

export function periodMonth(invoice) {
  return invoice.period.slice(0, 7);
}

function credited(invoice) {
  return invoice.credited && compare(invoice.credited, "0") > 0 ? invoice.credited : null;
}

// The status as a badge, and what credit notes took off it.
export function invoiceStatus(invoice) {
  const credit = credited(invoice);
  return el(
    "span",
    { className: "invoice-status", "data-status": invoice.status },
    badge(invoice.status, STATUS_KINDS[invoice.status] || "muted"),
    credit ? el("span", { className: "cell-note credited" }, `credited ${formatMoney(credit, invoice.currency)}`) : null,
  );
}

// An e-invoice exists for an issued document that names the seller (docs/domain.md, "E-invoices").
function hasEInvoice(invoice) {
  return Boolean(invoice.number && invoice.document?.seller);
}

export class Downloads {
  constructor(gateway, alert) {
    this.gateway = gateway;
    this.alert = alert;
  }

  buttons(invoice) {
    const formats = hasEInvoice(invoice) ? ["pdf", "csv", "xml"] : ["pdf", "csv"];
    const note = hasEInvoice(invoice)
      ? null
      : el("span", { className: "cell-note", title: invoice.number ? "Issued before the distributor's seller details were set." : "A draft has no e-invoice." }, "no e-invoice");
    return el("span", { className: "downloads" }, formats.map((format) => this.button(invoice, format)), note);
  }

  button(invoice, format) {
    const name = `${invoice.number || invoice.invoice_id}.${format}`;
    const label = format === "xml" ? "XML" : format.toUpperCase();
    const what = format === "xml" ? "as an e-invoice (XML)" : `as ${label}`;
    return el(
      "button",
      {
        type: "button",
        className: "button-small",
        "aria-label": `Download invoice ${invoice.number || ""} for ${formatMonth(invoice.period)} ${what}`,
        onClick: () => this.download(`/api/v1/billing/invoices/${encodeURIComponent(invoice.invoice_id)}.${format}`, name, format),
      },
      label,
    );
  }

  async download(path, filename, format) {
    try {
      const blob = await this.gateway.blob(path, MEDIA_TYPES[format]);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      showProblem(this.alert, error, `${filename} could not be downloaded`);
    }
  }
}

// Every invoice, newest month first; the month opens that month on the page.
export function renderInvoiceTable(invoices, downloads, shownMonth) {
  const table = $("invoice-table");
  table.hidden = !invoices.length; // the history's message says there is none yet
  fillTable(table, {
    caption: "Your invoices",
    columns: [{ label: "Month" }, { label: "Number" }, { label: "Status" }, { label: "Total", numeric: true }, { label: "Download" }],
    rows: invoices.map((invoice) => [
      el("a", { href: `#${periodMonth(invoice)}`, "aria-current": periodMonth(invoice) === shownMonth ? "true" : null }, formatMonth(invoice.period)),
      invoice.number || "draft",
      invoiceStatus(invoice),
      el("span", { className: invoice.status === "void" ? "void-amount" : null }, formatMoney(invoice.total, invoice.currency)),
      downloads.buttons(invoice),
    ]),
    empty: "No invoice yet.",
  });
}

// The last 12 closed months (the current one is not invoiced before its end), from the first month of a contract
// when that is later, in the newest invoice's currency.
export function renderInvoiceHistory(invoices, { currentMonth, firstMonth, noInvoiceText, onPick }) {
  const start = addMonths(currentMonth, -HISTORY_MONTHS);
  const months = monthsFrom(firstMonth && firstMonth > start ? firstMonth : start, addMonths(currentMonth, -1));
  const inWindow = invoices.filter((invoice) => months.includes(periodMonth(invoice)));
  const figure = $("history-figure");
  const message = $("history-message");
  const currency = inWindow[0]?.currency;
  const charted = inWindow.filter((invoice) => invoice.currency === currency);
  const nothing = !charted.length
    ? noInvoiceText
    : charted.every((invoice) => compare(invoice.total, "0") === 0)
      ? `Your invoices of the last ${HISTORY_MONTHS} months are all 0.00 ${currency}: nothing to chart.`
      : null;
  message.textContent = nothing || "";
  message.hidden = !nothing;
  figure.hidden = Boolean(nothing) || !window.Chart;
  if (nothing || !window.Chart) return;
  const others = [...new Set(inWindow.map((invoice) => invoice.currency))].filter((c) => c !== currency);
  const span = months.length > 1 ? `${formatShortMonth(months[0])} to ${formatShortMonth(months.at(-1))}` : formatShortMonth(months[0]);
  $("history-caption").textContent =
    `Invoice totals per month, ${span}, in ${currency}` +
    (others.length ? ` (invoices in ${others.join(", ")}: see the table)` : "");
  drawInvoiceHistoryChart($("history-chart"), { months, labels: months.map(formatShortMonth), currency, series: historySeries(charted, months), onPick });
}

// One series per status (void ones apart: not owed), each month's invoices of that status added exactly.
function historySeries(invoices, months) {
  return ["paid", "issued", "draft", "void"]
    .map((status) => {
      const mine = invoices.filter((invoice) => invoice.status === status);
      const perMonth = months.map((month) => mine.filter((invoice) => periodMonth(invoice) === month));
      return {
        status,
        totals: perMonth.map((list) => (list.length ? list.reduce((sum, invoice) => add(sum, invoice.total), "0") : null)),
        notes: perMonth.map((list) => list.map(historyNote).join("; ")),
      };
    })
    .filter((series) => series.totals.some((total) => total !== null));
}

function historyNote(invoice) {
  const credit = credited(invoice);
  const number = invoice.number || "draft";
  return `${number} (${invoice.status}): ${formatMoney(invoice.total, invoice.currency)}${credit ? `, credited ${formatMoney(credit, invoice.currency)}` : ""}`;
}

// An invoice billed through FX: its unit prices are the price list's, its amounts converted (docs/domain.md, "FX
// conversion order and rounding").
export function fxNote(invoice) {
  const issued = invoice.document || {};
  if (!issued.fx || !issued.price_list_currency || issued.price_list_currency === invoice.currency) return null;
  const from = issued.price_list_currency;
  return `Unit prices are in ${from}, the price list's currency; amounts are in ${invoice.currency}, converted at ${issued.fx.rate} ${invoice.currency} per ${from} (the rate effective from ${formatDate(issued.fx.effective_from)}).`;
}

// The month's invoice above its lines: number, status, dates, total, credit and downloads.
export function invoiceSummary(invoice, downloads) {
  const facts = [
    el("strong", { className: "invoice-number" }, invoice.number ? `Invoice ${invoice.number}` : "Draft invoice"),
    invoiceStatus(invoice),
    el("span", {}, "Total ", el("strong", {}, formatMoney(invoice.total, invoice.currency))),
  ];
  const issued = invoice.document || {};
  if (issued.invoice_date) facts.push(el("span", {}, `dated ${formatDate(issued.invoice_date)}`));
  if (issued.due_date && invoice.status === "issued") facts.push(el("span", {}, `due ${formatDate(issued.due_date)}`));
  return el("div", { className: "invoice-summary", id: "month-invoice-summary" }, el("p", { className: "invoice-facts" }, facts), downloads.buttons(invoice));
}
