// Progressive enhancement only: every page works without this file.
"use strict";

function selectLinksOnFocus() {
  // One-time links: select the whole link on focus so it can be copied at once.
  for (const box of document.querySelectorAll("input.link-box")) {
    box.addEventListener("focus", () => box.select());
  }
}

// Worksheet drafts save to the server a few seconds after typing stops. Nothing of a
// worksheet is ever kept in browser storage (SECURITY.md: no sensitive data in the browser).
function autosaveWorksheet(form) {
  const state = form.querySelector(".save-state");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  let edits = 0;
  let savedEdits = 0;
  let timer = null;
  let busy = false;
  let stopped = false;

  const say = (text) => { if (state) state.textContent = text; };

  async function freshToken() {
    const response = await fetch(form.dataset.tokenUrl, { credentials: "same-origin", redirect: "manual" });
    if (!response.ok) return false;
    field("csrf_token").value = (await response.json()).token;
    return true;
  }

  async function send() {
    const body = new FormData(form);
    body.delete("row_action");
    return fetch(form.dataset.autosave, {
      method: "POST", body, credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": field("csrf_token").value, "Accept": "application/json" },
    });
  }

  async function save() {
    if (busy || stopped || edits === savedEdits) return;
    busy = true;
    const sending = edits;
    try {
      let response = await send();
      if (response.status === 400 && !response.headers.get("Content-Type")?.includes("json")) {
        // The CSRF token belonged to a session that ended: fetch one for the new session.
        if (await freshToken()) response = await send();
      }
      if (response.ok) {
        const result = await response.json();
        field("base_version").value = result.version;
        field("save_id").value = result.next_save_id;
        savedEdits = sending;
        say(result.message);
      } else if (response.status === 409 || response.status === 400) {
        const result = await response.json();
        say(result.message);
        stopped = response.status === 409;
      } else {
        say(form.dataset.offline);
      }
    } catch (error) {
      say(form.dataset.offline);
    }
    busy = false;
  }

  form.addEventListener("input", () => {
    edits += 1;
    say(form.dataset.unsaved);
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  });
  form.addEventListener("submit", () => { savedEdits = edits; });
  window.addEventListener("beforeunload", (event) => {
    if (edits !== savedEdits) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  selectLinksOnFocus();
  for (const form of document.querySelectorAll("form[data-autosave]")) autosaveWorksheet(form);
});
