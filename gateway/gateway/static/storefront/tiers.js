// The published contract tiers (the public storefront catalog), and ordering or changing a tier from them.

import { hideMessage, idempotencyKey, showProblem } from "./api.js";
import { formatDate } from "./dates.js";
import { badge, el } from "./dom.js";
import { compare, formatMoney } from "./money.js";

const $ = (id) => document.getElementById(id);

export async function loadCatalog(gateway) {
  const catalog = await gateway.json("/api/v1/catalog/storefront/catalog", { anonymous: true });
  const products = catalog.groups.flatMap((group) => group.products.map((product) => ({ ...product, group: group.name })));
  return { groups: catalog.groups, products: products.sort((a, b) => compare(usd(a), usd(b)) || a.name.localeCompare(b.name)) };
}

function usd(product) {
  return commitmentIn(product, "USD")?.amount ?? "0";
}

export function commitmentIn(product, currency) {
  return product.commitments.find((c) => c.currency === currency) || product.commitments.find((c) => c.currency === "USD");
}

// `account`: null before sign-in, else { currency, subscription } (subscription null when there is none yet).
export function renderTiers(catalog, account, onChoose) {
  const intro = $("tiers-intro");
  const group = catalog.groups[0];
  intro.textContent = group?.marketing_text || "Pick the monthly commitment that fits your business.";
  if (!account) intro.textContent += " Sign in to order or change your tier.";
  const list = $("tier-list");
  list.replaceChildren(...catalog.products.map((product) => tierCard(product, account, onChoose)));
  if (!catalog.products.length) list.append(el("p", { className: "hint" }, "No contract tier is published right now."));
}

function tierCard(product, account, onChoose) {
  const currency = account?.currency || "USD";
  const commitment = commitmentIn(product, currency);
  const subscription = account?.subscription;
  const current = subscription?.current_product_id === product.id;
  const pending = subscription?.pending_change?.to_product_id === product.id ? subscription.pending_change : null;
  const card = el(
    "article",
    { className: `tier-card${current ? " tier-current" : ""}`, "data-product-id": product.id, "aria-labelledby": `tier-${product.id}` },
    el("h3", { id: `tier-${product.id}` }, product.tier, current ? badge("Your tier", "current") : null),
    el(
      "p",
      { className: "tier-commitment" },
      el("span", { className: "amount" }, commitment ? formatMoney(commitment.amount, commitment.currency) : "–"),
      el("span", { className: "per" }, " minimum a month"),
    ),
    el("p", { className: "tier-text" }, product.marketing_text || product.description || ""),
  );
  if (pending) card.append(badge(`Moving here from ${formatDate(pending.effective_from)}`, "pending"));
  const prices = account?.prices?.perProduct.get(product.id);
  if (prices?.length) card.append(unitPrices(prices, account.prices));
  const action = tierAction(product, account, current);
  if (action) {
    card.append(
      el("button", { type: "button", className: action.primary ? "button-primary" : "button-secondary", onClick: () => onChoose(product, action.kind) }, action.label),
    );
  }
  return card;
}

function unitPrices(rows, prices) {
  const note = prices.converted ? ` (invoiced in ${prices.converted} at the invoice date's rate)` : "";
  return el(
    "details",
    { className: "tier-prices" },
    el("summary", {}, `Unit prices, ${prices.currency}${note}`),
    el(
      "table",
      {},
      el(
        "tbody",
        {},
        ...[...rows]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((row) => el("tr", {}, el("td", {}, row.name), el("td", { className: "numeric" }, `${formatMoney(row.price, row.currency)}${row.unit ? ` / ${row.unit}` : ""}`))),
      ),
    ),
  );
}

function tierAction(product, account, current) {
  if (!account || current) return null;
  const subscription = account.subscription;
  if (!subscription) return { kind: "order", label: `Order ${product.tier}`, primary: false };
  const mine = account.currentProduct;
  const higher = !mine || compare(usd(product), usd(mine)) > 0;
  return higher
    ? { kind: "upgrade", label: `Upgrade to ${product.tier}`, primary: true }
    : { kind: "downgrade", label: `Downgrade to ${product.tier}`, primary: false };
}

// The confirmation dialog: a preview of the change (or the order), then the call itself.
export class ChangeDialog {
  constructor(gateway, onDone) {
    this.gateway = gateway;
    this.onDone = onDone;
    this.dialog = $("change-dialog");
    this.confirm = $("change-confirm");
    this.error = $("change-error");
    this.confirm.addEventListener("click", () => this.run());
  }

  async open(product, kind, account) {
    this.product = product;
    this.kind = kind;
    this.account = account;
    hideMessage(this.error);
    $("change-title").textContent = kind === "order" ? `Order ${product.tier}` : `${kind === "upgrade" ? "Upgrade" : "Downgrade"} to ${product.tier}`;
    const body = $("change-body");
    body.replaceChildren(el("p", {}, "Checking what this would do…"));
    this.confirm.hidden = true;
    this.dialog.showModal();
    if (kind === "order") {
      const commitment = commitmentIn(product, account.currency);
      body.replaceChildren(
        el("p", {}, `A paid ${product.tier} contract, billed monthly in arrears on the 1st.`),
        el("p", {}, `Minimum commitment: ${formatMoney(commitment.amount, commitment.currency)} a month.`),
      );
      this.confirm.textContent = "Place order";
      this.confirm.hidden = false;
      return;
    }
    try {
      const preview = await this.gateway.json(this.changePath("tier-change-preview"), { method: "POST", body: { product_id: product.id } });
      this.showPreview(preview);
    } catch (error) {
      body.replaceChildren();
      showProblem(this.error, error, "The change cannot be checked");
    }
  }

  changePath(action) {
    return `/api/v1/subscriptions/subscriptions/${encodeURIComponent(this.account.subscription.id)}/${action}`;
  }

  showPreview(preview) {
    const body = $("change-body");
    if (!preview.allowed) {
      body.replaceChildren(
        el("p", {}, `${this.product.tier} cannot be chosen now:`),
        el("ul", { className: "refusals" }, preview.refusals.map((refusal) => el("li", {}, refusal.message))),
      );
      return;
    }
    const from = preview.from_commitment;
    const to = preview.to_commitment;
    const when = preview.direction === "upgrade" ? "this billing month (upgrades apply to the whole current month)" : "the next billing month";
    const replaces = preview.replaces.length ? [el("p", { className: "hint" }, "This replaces the change you ordered before for that month.")] : [];
    body.replaceChildren(
      el("p", {}, `From ${preview.from_tier} to ${preview.to_tier}, effective from ${formatDate(preview.effective_from)}: ${when}.`),
      el(
        "p",
        {},
        "Minimum commitment: ",
        el("strong", {}, from ? formatMoney(from.amount, from.currency) : "–"),
        " → ",
        el("strong", {}, to ? formatMoney(to.amount, to.currency) : "–"),
        " a month.",
      ),
      ...replaces,
    );
    this.confirm.textContent = preview.direction === "upgrade" ? "Confirm upgrade" : "Confirm downgrade";
    this.confirm.hidden = false;
  }

  async run() {
    hideMessage(this.error);
    this.confirm.disabled = true;
    try {
      const result =
        this.kind === "order"
          ? await this.gateway.json("/api/v1/subscriptions/subscriptions", {
              method: "POST",
              body: { product_id: this.product.id, kind: "paid" },
              headers: { "Idempotency-Key": idempotencyKey() },
            })
          : await this.gateway.json(this.changePath("tier-change"), { method: "POST", body: { product_id: this.product.id } });
      this.dialog.close("done");
      await this.onDone(this.kind, this.product, result);
    } catch (error) {
      showProblem(this.error, error, this.kind === "order" ? "The order was refused" : "The change was refused");
    } finally {
      this.confirm.disabled = false;
    }
  }
}
