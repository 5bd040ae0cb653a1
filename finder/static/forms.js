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
// Long lists of checkboxes (languages): a box that narrows the list as you type, and a line
// naming what is ticked. Without this script the whole list shows and still works.
(function () {
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll(".pick-list").forEach(function (group) {
    var filter = group.querySelector(".pick-filter");
    var input = group.querySelector(".pick-filter-input");
    var empty = group.querySelector(".pick-empty span");
    var names = group.querySelector(".pick-chosen-names");
    var items = Array.prototype.slice.call(group.querySelectorAll(".pick-options li"));
    var words = items.map(function (item) {
      var box = item.querySelector("input");
      return plain(item.textContent + " " + (box.dataset.also || "") + " " + box.value);
    });
    filter.hidden = false;
    input.addEventListener("input", function () {
      var typed = plain(input.value.trim());
      var shown = 0;
      items.forEach(function (item, i) {
        item.hidden = typed !== "" && words[i].indexOf(typed) === -1;
        if (!item.hidden) shown += 1;
      });
      empty.hidden = shown > 0;
    });
    // Enter in the box must not send the form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    group.addEventListener("change", function (event) {
      if (event.target === input) return;
      var ticked = items
        .filter(function (item) { return item.querySelector("input").checked; })
        .map(function (item) { return item.querySelector("label").textContent.trim(); });
      names.textContent = ticked.length ? ticked.join(", ") : names.dataset.none;
    });
  });
})();
