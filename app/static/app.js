// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // One-time links: select the whole link on focus so it can be copied at once.
  for (const box of document.querySelectorAll("input.link-box")) {
    box.addEventListener("focus", () => box.select());
  }
});
