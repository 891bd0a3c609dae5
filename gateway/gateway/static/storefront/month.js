// The month the reseller's page shows: a picker over the months of its contracts, kept in the address's hash
// (`#2026-11`), so a link or a bookmark opens that month. The gateway refuses query parameters it does not know on
// its own pages; a hash never reaches it.

import { addMonths, formatMonth, monthsFrom } from "./dates.js";
import { el } from "./dom.js";

const MONTH_HASH = /^#(\d{4})-(0[1-9]|1[0-2])$/;

export function monthFromHash(hash) {
  const match = MONTH_HASH.exec(hash || "");
  return match ? `${match[1]}-${match[2]}` : null;
}

export class MonthPicker {
  // `onShow(month, refused)`: draw `month`; `refused` is the month the address asked for when it is out of range.
  // `panel`: scrolled into view when the address opens a month (a link, Back).
  constructor({ container, select, previous, next, panel, onShow }) {
    Object.assign(this, { container, select, previous, next, panel, onShow });
    this.first = null;
    this.last = null;
    this.month = null;
    select.addEventListener("change", () => this.go(select.value));
    previous.addEventListener("click", () => this.go(addMonths(this.month, -1)));
    next.addEventListener("click", () => this.go(addMonths(this.month, 1)));
    // Other anchors (the skip link's #main) change the hash too: only a month's hash moves the page.
    window.addEventListener("hashchange", () => {
      const month = monthFromHash(window.location.hash);
      if (month && this.first && month !== this.month) this.show(month, { scroll: true });
    });
  }

  // The months that can be opened, newest first in the list. No range (no contract yet): no picker.
  setRange(first, last) {
    this.first = first && first <= last ? first : null;
    this.last = last;
    this.container.hidden = !this.first;
    if (!this.first) return;
    const months = monthsFrom(this.first, last).reverse();
    this.select.replaceChildren(...months.map((month) => el("option", { value: month }, formatMonth(`${month}-01`))));
  }

  // The month the address asks for, else the newest.
  requested() {
    return monthFromHash(window.location.hash) || this.last;
  }

  // Open a month from the page (the picker, a link): it becomes the address's hash, so Back returns to the last one.
  go(month) {
    if (monthFromHash(window.location.hash) !== month) window.location.hash = month; // its hashchange is then a no-op
    return this.show(month);
  }

  async show(month, { scroll = false } = {}) {
    const inRange = !this.first || (month >= this.first && month <= this.last);
    const shown = inRange ? month : this.last;
    this.month = shown;
    if (this.first) {
      this.select.value = shown;
      this.previous.disabled = shown <= this.first;
      this.next.disabled = shown >= this.last;
    }
    if (!inRange && monthFromHash(window.location.hash)) {
      window.history.replaceState(null, "", `#${shown}`);
    }
    if (scroll) this.panel.scrollIntoView({ block: "start" });
    return this.onShow(shown, inRange ? null : month);
  }
}
