// The month-end projection as a sentence, from the API's figures alone (billing/domain/shortfall.py): each SKU by
// its aggregation, so a SKU billed on its peak or its last reading is never said to grow with the days.

import { el } from "./dom.js";
import { add, compare, formatMoney } from "./money.js";

// How each aggregation reaches the month's end (`stays`: said when other SKUs grow, to tell them apart).
const RULES = {
  sum: { why: "growing with the days left", about: true },
  average: { why: "billed on the daily average so far", about: true },
  max: { why: "billed on the month's peak", stays: ": it stays" },
  last: { why: "billed on the latest reading", stays: ": it stays" },
};
const ORDER = ["sum", "average", "max", "last"];

function names(list) {
  return list.length > 1 ? `${list.slice(0, -1).join(", ")} and ${list.at(-1)}` : list[0];
}

function total(skus, field) {
  return skus.reduce((sum, sku) => add(sum, sku[field]), "0");
}

// "Acronis Cloud storage 76.50 USD (billed on the latest reading: it stays)"
function rulePart(rule, skus, currency, grows) {
  const { why, about, stays } = RULES[rule];
  const projected = `${about ? "about " : ""}${formatMoney(total(skus, "projected_amount"), currency)}`;
  const soFar = rule === "sum" ? `${formatMoney(total(skus, "amount"), currency)} so far, ` : "";
  return `${names(skus.map((sku) => sku.name))} ${projected} (${soFar}${why}${grows && stays ? stays : ""})`;
}

// The sentence's nodes: where usage ends, why (per aggregation), and the commitment fee it leads to.
export function projectionSentence(row, nameOf) {
  const { projection, currency, commitment } = row;
  const skus = projection.skus.map((sku) => ({ ...sku, name: nameOf(sku.sku) }));
  const ruleOf = (sku) => (RULES[sku.aggregation] ? sku.aggregation : "sum");
  const byRule = ORDER.map((rule) => [rule, skus.filter((sku) => ruleOf(sku) === rule)]).filter(([, list]) => list.length);
  const grows = byRule.some(([rule]) => RULES[rule].about);
  const parts = byRule.map(([rule, list]) => rulePart(rule, list, currency, grows));
  return [
    grows ? "By the month's end your usage comes to about " : "Your usage stands at ",
    el("strong", { id: "projected-usage" }, formatMoney(projection.projected_usage_total, currency)),
    grows ? "" : " and does not grow with the days, only with new readings",
    parts.length ? `: ${parts.join("; ")}. ` : ". ",
    feeSentence(projection, commitment, currency),
    projection.totals_complete === false ? " Lines without an exchange rate yet are left out." : "",
  ];
}

function feeSentence(projection, commitment, currency) {
  const fee = projection.projected_commitment_fee;
  if (fee === null) return "The commitment fee cannot be estimated until the missing exchange rate is known.";
  if (compare(fee, "0") > 0) {
    return el("span", {}, "The commitment fee would then be ", el("strong", { id: "projected-fee" }, formatMoney(fee, currency)), ".");
  }
  if (commitment !== null && compare(projection.projected_usage_total, commitment) >= 0) {
    return "That is above your commitment: no commitment fee.";
  }
  return "No commitment fee applies this month (ramp-up).";
}
