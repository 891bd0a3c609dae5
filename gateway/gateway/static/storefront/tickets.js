// The reseller's support tickets of a month (opened in it), with their SLA due times, and those still open from
// other months.

import { formatDateTime, formatMonth, monthOf } from "./dates.js";
import { badge, el, fillTable } from "./dom.js";

const $ = (id) => document.getElementById(id);
const TARGET_NAMES = { first_response: "First response", temporary_solution: "Temporary solution", permanent_resolution: "Resolution" };
const DONE = new Set(["resolved", "closed"]);

export async function loadTickets(gateway) {
  // Support refuses query parameters it does not declare: `limit` and `cursor` only.
  return gateway.all("/api/v1/support/tickets", { limit: 100, maxPages: 5 });
}

export function ticketMonth(ticket) {
  return monthOf(new Date(ticket.opened_at));
}

export function renderTickets(tickets, month) {
  const name = formatMonth(`${month}-01`);
  $("tickets-title").textContent = `Support tickets · ${name}`;
  const opened = tickets.filter((ticket) => ticketMonth(ticket) === month);
  fillTable($("ticket-table"), {
    caption: `Support tickets opened in ${name}, with their SLA due times`,
    columns: [{ label: "Ticket" }, { label: "Severity" }, { label: "State" }, { label: "SLA targets" }],
    rows: opened.map(ticketRow),
    empty: `No ticket opened in ${name}.`,
  });
  const elsewhere = tickets.filter((ticket) => ticketMonth(ticket) !== month && !DONE.has(ticket.state));
  const others = $("tickets-elsewhere");
  others.hidden = !elsewhere.length;
  others.replaceChildren(
    `Still open from other months (${elsewhere.length}): `,
    ...elsewhere.flatMap((ticket, index) => [
      index ? ", " : "",
      el("a", { href: `#${ticketMonth(ticket)}` }, ticket.subject),
      ` (${formatMonth(`${ticketMonth(ticket)}-01`)})`,
    ]),
  );
}

function ticketRow(ticket) {
  return [
    el("span", {}, ticket.subject, el("span", { className: "cell-note" }, `opened ${formatDateTime(ticket.opened_at)}`)),
    el("abbr", { title: ticket.severity_meaning }, ticket.severity),
    ticket.state.replaceAll("_", " "),
    el("ul", { className: "targets" }, ticket.targets.map(targetItem)),
  ];
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
