// Entry point: sign-in and a hash router (#/section/argument) over the views.

import { ApiError, clearKey, getKey, request, setKey } from "./api.js";
import { clearFlash, field, flash, h, replace } from "./dom.js";
import * as datasets from "./views/datasets.js";
import * as jobs from "./views/jobs.js";
import * as labeling from "./views/labeling.js";
import * as models from "./views/models.js";
import * as predict from "./views/predict.js";

const VIEWS = { datasets, label: labeling, models, predict, jobs };
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");
let cleanup = null;
let signInMessage = "";

// #/section/arg/more/parts: each view gets its argument and the parts after it.
function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { section: parts[0] || "datasets", arg: parts[1] || "", rest: parts.slice(2) };
}

async function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  clearFlash();
  const signedIn = Boolean(getKey());
  nav.hidden = !signedIn;
  signOut.hidden = !signedIn;
  if (!signedIn) {
    renderSignIn();
    return;
  }
  const { section, arg, rest } = parseHash();
  const view = VIEWS[section] || datasets;
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  replace(main, h("p", { class: "muted" }, "Loading…"));
  // data-route names the view once it has rendered (what tests and scripts can wait for).
  const hash = location.hash;
  delete main.dataset.route;
  try {
    cleanup = (await view.render(main, arg, rest)) || null;
    if (location.hash === hash) main.dataset.route = hash.replace(/^#\/?/, "");
  } catch (err) {
    const text = err instanceof ApiError ? err.describe() : String(err);
    replace(main, h("div", { class: "panel" }, h("p", { class: "error" }, text)));
    flash(text);
  }
}

function renderSignIn() {
  const input = h("input", {
    type: "password",
    name: "api-key",
    autocomplete: "off",
    required: true,
    "aria-describedby": "signin-help",
  });
  const error = h("p", { id: "signin-error", class: "error", role: "alert" });
  if (signInMessage) error.textContent = signInMessage;
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title" }, "Sign in"),
    field("API key", input),
    h(
      "p",
      { id: "signin-help", class: "muted" },
      "An mlpoc API key (create one with `mlpoc keys create`). It is kept in this browser tab " +
        "only (sessionStorage) and sent as X-API-Key on every call.",
    ),
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    error.textContent = "";
    try {
      // Reading the dataset list proves the key; a 403 still proves it valid (a predict-only
      // key), and the views it may not read say so themselves.
      try {
        await request("GET", "/datasets", { query: { limit: 1 }, key });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 403)) throw err;
      }
      setKey(key);
      signInMessage = "";
      if (!location.hash || location.hash === "#/signin") location.hash = "#/datasets";
      else route();
    } catch (err) {
      const text = err instanceof ApiError ? err.describe() : String(err);
      error.textContent = `Sign-in failed: ${text}`;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  input.focus();
}

signOut.addEventListener("click", () => {
  clearKey();
  location.hash = "#/signin";
  route();
});

window.addEventListener("mlpoc:unauthorized", () => {
  if (!getKey()) return;
  clearKey();
  signInMessage = "The API refused the key (revoked or invalid); sign in again.";
  route();
});
window.addEventListener("hashchange", route);
route();
