// Starts GOV.UK Frontend's components and NRM Digital's few enhancements. The build replaces
// GOVUK_FRONTEND_MODULE with the fingerprinted path of the package's script.
import { initAll } from "GOVUK_FRONTEND_MODULE";

initAll();

// Print buttons are hidden until there is a script to make them work; without JavaScript the
// browser's own print command prints the same page.
for (const button of document.querySelectorAll("[data-nrm-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
