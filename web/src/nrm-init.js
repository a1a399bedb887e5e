// Runs first in <body>: marks the page as scripted so GOV.UK Frontend's enhanced styles apply.
// A file rather than an inline script, so the Content-Security-Policy can forbid inline code.
document.body.className +=
  " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
