// Calls to the gateway with the signed-in API key, and RFC 9457 problems turned into readable messages.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `The gateway answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

export class KeyStore {
  // The key lives in sessionStorage: it survives a reload, not the closing of the tab.
  constructor(name) {
    this.name = name;
  }

  get() {
    return sessionStorage.getItem(this.name);
  }

  set(key) {
    sessionStorage.setItem(this.name, key);
  }

  clear() {
    sessionStorage.removeItem(this.name);
  }
}

export class Gateway {
  constructor(keyStore) {
    this.keys = keyStore;
  }

  // `anonymous`: the public storefront reads go without the key (the catalog serves them to anyone).
  async send(path, { method = "GET", body, accept = "application/json", headers = {}, anonymous = false } = {}) {
    const key = anonymous ? null : this.keys.get();
    const sent = { Accept: `${accept}, application/problem+json`, ...headers };
    if (key) sent["X-API-Key"] = key;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, { title: "The gateway could not be reached", detail: "Check your connection and try again." });
    }
    if (!response.ok) throw new ApiError(response.status, await readProblem(response));
    return response;
  }

  async json(path, options) {
    return (await this.send(path, options)).json();
  }

  async blob(path, accept) {
    return (await this.send(path, { accept })).blob();
  }

  // Every item of a cursor-paginated list (bounded, so a huge list cannot freeze the page).
  async all(path, { limit = 200, maxPages = 10 } = {}) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < maxPages; page += 1) {
      const separator = path.includes("?") ? "&" : "?";
      const query = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const answer = await this.json(`${path}${separator}${query}`);
      items.push(...answer.items);
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    return items;
  }
}

async function readProblem(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch (error) {
      // fall through: a broken body still gets a readable message
    }
  }
  return { title: `The gateway answered ${response.status} ${response.statusText}`.trim(), status: response.status };
}

// A problem as a title, its detail, and the offending fields (validation errors name them).
export function describeProblem(error) {
  if (!(error instanceof ApiError)) {
    return { title: "Something went wrong in this page", detail: String(error && error.message ? error.message : error), fields: [] };
  }
  const problem = error.problem || {};
  const fields = Array.isArray(problem.errors)
    ? problem.errors.map((item) => `${item.field || item.loc || "request"}: ${item.message || item.msg || ""}`)
    : [];
  const title = problem.title || `Request failed (${error.status})`;
  const detail = problem.detail && problem.detail !== title ? problem.detail : "";
  return { title, detail, fields };
}

export function showProblem(element, error, context) {
  const { title, detail, fields } = describeProblem(error);
  element.replaceChildren();
  const heading = document.createElement("strong");
  heading.textContent = context ? `${context}: ${title}` : title;
  element.append(heading);
  if (detail) {
    const text = document.createElement("p");
    text.textContent = detail;
    element.append(text);
  }
  if (fields.length) {
    const list = document.createElement("ul");
    for (const field of fields) {
      const item = document.createElement("li");
      item.textContent = field;
      list.append(item);
    }
    element.append(list);
  }
  element.hidden = false;
}

export function hideMessage(element) {
  element.hidden = true;
  element.replaceChildren();
}

export function showNotice(element, text) {
  element.textContent = text;
  element.hidden = false;
}

// An Idempotency-Key that also works outside secure contexts (crypto.randomUUID needs one).
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Wire a sign-in form: check the key with /gateway/v1/me, keep it if `accept(caller)` returns no refusal.
export function wireSignIn({ form, input, keys, gateway, alert, accept, onSignedIn }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(alert);
    const key = input.value.trim();
    if (!key) return;
    keys.set(key);
    try {
      const caller = await gateway.json("/gateway/v1/me");
      const refusal = accept(caller);
      if (refusal) {
        keys.clear();
        showProblem(alert, new ApiError(403, { title: "This key cannot open this page", detail: refusal }));
        return;
      }
      input.value = "";
      await onSignedIn(caller);
    } catch (error) {
      keys.clear();
      showProblem(alert, error, "Sign-in failed");
    }
  });
}
