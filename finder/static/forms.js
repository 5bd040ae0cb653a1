// After a failed submit: focus the error summary, and let its links focus their fields.
(function () {
  var summary = document.querySelector(".error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    // Show the field's label or the group's legend above it, not just the input.
    var caption = input.closest("fieldset") && input.type !== "text" && input.tagName !== "SELECT"
      ? input.closest("fieldset").querySelector("legend")
      : document.querySelector("label[for='" + input.id + "']");
    (caption || input).scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
})();
