// "Settings in force": the business settings a month's invoices apply (billing's, as of the month's 1st) and
// support's SLA settings when support serves them. Every text from the API goes in as text (dom.js `el`).

import { ApiError } from "./api.js";
import { addMonths, formatDate, formatMonth } from "./dates.js";
import { badge, el, fillTable } from "./dom.js";

const SEED_ACTOR = "seed:environment";
const SEED_FROM = "1970-01-01";
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const REGIONS = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "region" }) : null;

// "19.5000" -> "19.5 %"
export function formatPercent(text) {
  if (text === null || text === undefined || text === "") return "–";
  let value = String(text);
  if (value.includes(".")) value = value.replace(/0+$/, "").replace(/\.$/, "");
  return `${value} %`;
}

function countryName(code) {
  if (code === "*") return "All other countries";
  try {
    const name = REGIONS ? REGIONS.of(code) : null;
    return name && name !== code ? `${name} (${code})` : code;
  } catch (error) {
    return code;
  }
}

function who(actor) {
  if (actor === SEED_ACTOR) return "initial setup";
  if (actor === "bootstrap-admin") return "bootstrap admin";
  return actor;
}

function sinceCell(item) {
  if (item.effective_from <= SEED_FROM) return el("span", { className: "since" }, "from the start");
  return el("time", { className: "since", datetime: item.effective_from }, formatDate(item.effective_from));
}

function setByCell(item) {
  if (item.recorded_by === SEED_ACTOR) return withNote(who(item.recorded_by), "from the service's environment");
  const details = [formatDate(item.recorded_at), item.reason ? `“${item.reason}”` : null].filter(Boolean);
  return withNote(who(item.recorded_by), details.join(" · "));
}

function withNote(main, note) {
  return el("span", {}, main, note ? el("span", { className: "cell-note" }, note) : null);
}

const SINCE_COLUMNS = [{ label: "In force since" }, { label: "Set by" }];

function block(id, title, hint, { columns, rows, empty }) {
  const table = el("table", { id, className: "settings-table" });
  fillTable(table, { caption: title, columns, rows, empty });
  return el(
    "div",
    { className: "settings-block" },
    el("h3", {}, title),
    hint ? el("p", { className: "hint" }, hint) : null,
    el("div", { className: "table-scroll" }, table),
  );
}

function rowsOf(items, cells, order = () => 0) {
  return [...items].sort(order).map((item) => [...cells(item), sinceCell(item), setByCell(item)]);
}

// By label, the default (`*`) first or, for countries ("all other countries"), last.
function byScope(label, { defaultLast = false } = {}) {
  const rank = (item) => (item.scope === "*" ? (defaultLast ? 1 : -1) : 0);
  return (a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b));
}

function sellerBlock(items) {
  const rows = rowsOf(items, (item) => {
    const seller = item.value;
    const address = (seller.address_lines || []).map((line) => el("span", { className: "address-line" }, line));
    return [seller.legal_name, countryName(seller.country), seller.vat_id || "–", address.length ? el("span", {}, address) : "–"];
  });
  return block("settings-seller", "Seller", "Who the invoices name as the seller; its country and VAT id decide the EU reverse charge.", {
    columns: [{ label: "Legal name" }, { label: "Country" }, { label: "VAT id" }, { label: "Address" }, ...SINCE_COLUMNS],
    rows,
    empty: "No seller is set: invoices name none and apply no reverse charge.",
  });
}

function taxBlock(items) {
  const label = (item) => countryName(item.scope);
  const rate = (item) => withNote(formatPercent(item.value.rate_percent), item.previous ? `was ${formatPercent(item.previous.rate_percent)}` : null);
  const rows = rowsOf(items, (item) => [label(item), rate(item), item.value.note || "–"], byScope(label, { defaultLast: true }));
  return block("settings-tax-rates", "Tax rates by buyer country", "A buyer with a valid VAT id in another EU country than the seller's gets the reverse charge (0 %) instead.", {
    columns: [{ label: "Country" }, { label: "Rate", numeric: true }, { label: "Note on the invoice" }, ...SINCE_COLUMNS],
    rows,
    empty: "No tax rate is set: invoices charge no tax.",
  });
}

function discountBlock(items, resellerName, products) {
  const rank = (item) => (item.scope === "*" ? 0 : item.scope.startsWith("tier:") ? 1 : 2);
  const describe = (item) => {
    if (item.scope === "*") return ["Default", "every reseller and tier not listed below"];
    const [kind, id] = [item.scope.slice(0, item.scope.indexOf(":")), item.scope.slice(item.scope.indexOf(":") + 1)];
    if (kind === "tier") {
      const product = products.get(id);
      return product ? [product.tier, `tier · ${product.name}`] : [`Tier product ${id}`, "tier (not in the catalog on this day)"];
    }
    return [resellerName(id), "reseller · on every tier"];
  };
  const rows = [...items]
    .sort((a, b) => rank(a) - rank(b) || describe(a)[0].localeCompare(describe(b)[0], undefined, { numeric: true }))
    .map((item) => {
      const [main, note] = describe(item);
      const previous = item.previous ? `was ${formatPercent(item.previous.percent)}` : null;
      return [withNote(main, note), withNote(formatPercent(item.value.percent), previous), sinceCell(item), setByCell(item)];
    });
  return block("settings-discounts", "Distributor discounts", "The vendor's discount that cost and margin are computed with: a reseller's own wins over its tier's, a tier's over the default.", {
    columns: [{ label: "Applies to" }, { label: "Discount", numeric: true }, ...SINCE_COLUMNS],
    rows,
    empty: "No discount is set: cost is the vendor's full price.",
  });
}

function resellerScope(scope, resellerName, everyone) {
  return scope === "*" ? withNote("Default", everyone) : withNote(resellerName(scope), "reseller");
}

function currencyBlock(items, resellerName) {
  const label = (item) => (item.scope === "*" ? "" : resellerName(item.scope));
  const rows = rowsOf(items, (item) => [resellerScope(item.scope, resellerName, "every reseller not listed"), item.value.currency], byScope(label));
  return block("settings-currencies", "Price-list currencies", "The vendor price list rated from, before conversion, for resellers billed in a currency without one (CHF, SEK, …).", {
    columns: [{ label: "Applies to" }, { label: "Price list" }, ...SINCE_COLUMNS],
    rows,
    empty: "No price-list currency is set: the vendor's USD price list applies.",
  });
}

// The Tier 1 program counts for a month only when in force all month: in force on its last day, since its 1st.
function tierOneBlock(onFirst, onLast, first, resellerName) {
  const last = new Map(onLast.map((item) => [item.scope, item]));
  const shown = [...onLast, ...onFirst.filter((item) => !last.has(item.scope))];
  const status = (item) => {
    if (!last.has(item.scope)) return withNote(badge("not this month", "muted"), "ends within the month");
    if (item.effective_from > first) return withNote(badge("not this month", "muted"), `starts ${formatDate(item.effective_from)}`);
    return badge("counts", "ok");
  };
  const label = (item) => (item.scope === "*" ? "" : resellerName(item.scope));
  const rows = rowsOf(shown, (item) => [resellerScope(item.scope, resellerName, "every reseller not listed"), formatPercent(item.value.discount_percent), status(item)], byScope(label));
  return block("settings-tier-one", "Tier 1 support program", "Its discount counts for a month only when the program is in force the whole month.", {
    columns: [{ label: "Applies to" }, { label: "Discount", numeric: true }, { label: "This month" }, ...SINCE_COLUMNS],
    rows,
    empty: "No reseller is in the Tier 1 program.",
  });
}

// Support's kinds (support_sla/adapters/sla_settings.py): a value whose shape this page does not know is shown
// field by field, so a new field still reads.
function humanKey(key) {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describeValue(value, key = "") {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (/weekday/.test(key)) return weekdays(value);
    return value.map((item) => describeValue(item)).filter(Boolean).join(", ") || "none";
  }
  if (typeof value === "object") {
    if ("unit" in value && "amount" in value) return target(value);
    return Object.entries(value)
      .map(([name, inner]) => [name, describeValue(inner, name)])
      .filter(([, text]) => text !== null && text !== "")
      .map(([name, text]) => `${humanKey(name)}: ${text}`)
      .join(" · ");
  }
  return String(value);
}

function valueLines(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return describeValue(value) ?? "–";
  const entries = Object.entries(value)
    .map(([name, inner]) => [name, describeValue(inner, name)])
    .filter(([, text]) => text !== null && text !== "");
  if (!entries.length) return "–";
  return el("dl", { className: "value-lines" }, entries.map(([name, text]) => el("div", {}, el("dt", {}, humanKey(name)), el("dd", {}, text))));
}

// [0, 1, 2, 3, 4] -> "Mon–Fri"; [0, 2, 4] -> "Mon, Wed, Fri"
function weekdays(days) {
  if (!days.every((day) => Number.isInteger(day) && day >= 0 && day < 7)) return days.join(", ");
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (!sorted.length) return "none";
  const contiguous = sorted.every((day, index) => index === 0 || day === sorted[index - 1] + 1);
  if (contiguous && sorted.length > 2) return `${WEEKDAYS[sorted[0]]}–${WEEKDAYS[sorted[sorted.length - 1]]}`;
  return sorted.map((day) => WEEKDAYS[day]).join(", ");
}

function target(value) {
  if (!value || value.unit === "none") return "n/a";
  const unit = String(value.unit).replace(/_/g, " ");
  return `${value.amount} ${value.amount === 1 ? unit.replace(/s$/, "") : unit}`;
}

function resellerOrDefault(scope, resellerName) {
  if (scope === "*") return withNote("Default", "every reseller not listed");
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(scope) ? withNote(resellerName(scope), "reseller") : scope;
}

function holidays(calendar) {
  if (calendar.always_open) return "none (24x7)";
  if (!calendar.country) return "none";
  const where = countryName(calendar.country);
  return calendar.subdivision ? `${where}, ${calendar.subdivision}` : where;
}

function closures(days) {
  if (!days || !days.length) return "–";
  const shown = days.slice(0, 3).map(formatDate).join(", ");
  return days.length > 3 ? withNote(shown, `and ${days.length - 3} more`) : shown;
}

const SEVERITIES = { A: "Critical", B: "High", C: "Normal", D: "Low" };

const SUPPORT_KINDS = {
  "sla-calendars": {
    title: "SLA calendars",
    hint: "The business days and hours the SLA clocks count, by calendar name.",
    fields: ["time_zone", "working_weekdays"],
    columns: [{ label: "Calendar" }, { label: "Time zone" }, { label: "Working days" }, { label: "Hours" }, { label: "Holidays of" }, { label: "Closures" }],
    cells: (item) => {
      const c = item.value;
      return [
        item.scope,
        c.time_zone,
        c.always_open ? "every day (24x7)" : weekdays(c.working_weekdays || []),
        c.always_open ? "24 h" : c.working_hours ? c.working_hours.replace("-", "–") : "whole\u00a0days",
        holidays(c),
        closures(c.closure_days),
      ];
    },
    order: (item) => (item.scope === "default" ? "" : item.scope),
  },
  "sla-calendar-assignments": {
    title: "SLA calendar assignments",
    hint: "The calendar a reseller's new tickets are timed on; a ticket keeps the one it opened with.",
    fields: ["calendar"],
    columns: [{ label: "Reseller" }, { label: "Calendar" }],
    cells: (item, resellerName) => [resellerOrDefault(item.scope, resellerName), item.value.calendar],
    order: (item, resellerName) => (item.scope === "*" ? "" : resellerName(item.scope)),
  },
  "sla-targets": {
    title: "SLA targets",
    hint: "What a new ticket of each severity is held to: hours and days run around the clock, business days follow its calendar.",
    fields: ["first_response", "temporary_solution", "permanent_resolution"],
    columns: [{ label: "Severity" }, { label: "First response", numeric: true }, { label: "Temporary solution", numeric: true }, { label: "Permanent resolution", numeric: true }],
    cells: (item) => [
      withNote(item.scope, SEVERITIES[item.scope] || null),
      target(item.value.first_response),
      target(item.value.temporary_solution),
      target(item.value.permanent_resolution),
    ],
    order: (item) => item.scope,
  },
};

function supportBlock(name, items, resellerName) {
  const kind = SUPPORT_KINDS[name];
  const known = items.every((item) => kind.fields.every((field) => item.value && field in item.value));
  const label = (item) => kind.order(item, resellerName);
  const order = (a, b) => label(a).localeCompare(label(b), undefined, { numeric: true });
  const rows = known
    ? rowsOf(items, (item) => kind.cells(item, resellerName), order)
    : rowsOf(items, (item) => [resellerOrDefault(item.scope, resellerName), valueLines(item.value)], order);
  const columns = known ? kind.columns : [{ label: kind.columns[0].label }, { label: "Value" }];
  return block(`settings-${name}`, kind.title, kind.hint, { columns: [...columns, ...SINCE_COLUMNS], rows, empty: "Nothing is set." });
}

export class SettingsSection {
  constructor({ gateway, container, support, title, hint, resellerName, onProblem }) {
    Object.assign(this, { gateway, container, support, title, hint, resellerName, onProblem });
    this.shown = 0; // a slower answer for an earlier month never overwrites a later one
    this.products = new Map(); // as_of -> Map(product id -> product)
  }

  async show(month) {
    const request = ++this.shown;
    const first = `${month}-01`;
    const lastDay = new Date(Date.parse(`${addMonths(month, 1)}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    this.title.textContent = `Settings in force on ${formatDate(first)}`;
    this.hint.textContent = `What ${formatMonth(first)}'s invoices apply: the values in force on the month's 1st. Admins change them through the settings API, which keeps each change with who made it and why.`;
    this.container.setAttribute("aria-busy", "true");
    const [billing, support] = await Promise.all([this.billing(first, lastDay), this.supportSettings(first)]);
    if (request !== this.shown) return;
    this.container.removeAttribute("aria-busy");
    this.container.replaceChildren(...billing);
    this.support.replaceChildren(...support);
  }

  async billing(first, lastDay) {
    const read = (kind, on = first) => this.gateway.json(`/api/v1/billing/settings/${kind}?as_of=${on}`).then((answer) => answer.items);
    try {
      const [seller, taxes, discounts, currencies, tierOneFirst, tierOneLast] = await Promise.all([
        read("seller"),
        read("tax-rates"),
        read("distributor-discounts"),
        read("price-list-currencies"),
        read("tier-one-program"),
        read("tier-one-program", lastDay),
      ]);
      const products = discounts.some((item) => item.scope.startsWith("tier:")) ? await this.productsOn(first) : new Map();
      return [
        sellerBlock(seller),
        taxBlock(taxes),
        discountBlock(discounts, this.resellerName, products),
        currencyBlock(currencies, this.resellerName),
        tierOneBlock(tierOneFirst, tierOneLast, first, this.resellerName),
      ];
    } catch (error) {
      this.onProblem(error, "Billing's settings could not be loaded");
      return [el("p", { className: "hint" }, "Billing's settings could not be loaded.")];
    }
  }

  async productsOn(day) {
    if (!this.products.has(day)) {
      try {
        const products = await this.gateway.all(`/api/v1/catalog/products?as_of=${day}`);
        this.products.set(day, new Map(products.map((p) => [p.id, p])));
      } catch (error) {
        return new Map(); // the discounts still show, with product ids
      }
    }
    return this.products.get(day);
  }

  async supportSettings(first) {
    const heading = el("h3", {}, "Support SLA settings");
    let kinds;
    try {
      kinds = await this.gateway.json("/api/v1/support/settings");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return [heading, el("p", { className: "hint", id: "support-settings-unavailable" }, "Not available: support does not keep its SLA settings as dated values yet.")];
      }
      this.onProblem(error, "Support's settings could not be loaded");
      return [heading, el("p", { className: "hint" }, "Support's settings could not be loaded.")];
    }
    const listed = new Set(kinds.map((kind) => kind.name));
    const wanted = Object.keys(SUPPORT_KINDS).filter((name) => listed.has(name));
    let answers;
    try {
      answers = await Promise.all(
        wanted.map((name) =>
          this.gateway.json(`/api/v1/support/settings/${name}?as_of=${first}`).catch((error) => {
            if (error instanceof ApiError && error.status === 404) return null;
            throw error;
          }),
        ),
      );
    } catch (error) {
      this.onProblem(error, "Support's settings could not be loaded");
      return [heading, el("p", { className: "hint" }, "Support's settings could not be loaded.")];
    }
    const blocks = wanted.flatMap((name, index) => (answers[index] ? [supportBlock(name, answers[index].items, this.resellerName)] : []));
    if (!blocks.length) return [heading, el("p", { className: "hint", id: "support-settings-unavailable" }, "Not available: support serves none of its SLA settings yet.")];
    return blocks;
  }
}
